; contoso.com: NO MX at all (mail would fall back to the address records,
; RFC 5321 section 5.1). Nothing at Microsoft. Served by "olddns" (127.77.0.20-21).
; Addresses outside 127.0.0.0/8 are documentation addresses (RFC 5737): data, never contacted.
$ORIGIN contoso.com.
$TTL 3600
@                   IN SOA  ns1.olddns.example. hostmaster.contoso.com. (
                            2026010101 3600 900 1209600 3600 )
@                   IN NS   ns1.olddns.example.
@                   IN NS   ns2.olddns.example.
@                   IN A    203.0.113.50
www                 IN CNAME contoso.com.
