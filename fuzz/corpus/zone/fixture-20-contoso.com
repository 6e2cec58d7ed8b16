$ORIGIN contoso.com.
$TTL 3600
@ IN SOA ns1.contoso.com. hostmaster.contoso.com. 1 7200 3600 1209600 300
mx IN A 192.0.2.1
