$TTL 3600
; the SOA opens a parenthesis that is never closed
@ IN SOA ns1.contoso.com. hostmaster.contoso.com. (
    1 7200 3600 1209600 300
  IN NS ns1.contoso.com.
www IN A 192.0.2.1
