; contoso.com: a null MX (RFC 7505, "0 ."): the domain receives no mail, on purpose.
; Nothing at Microsoft. Served by "olddns" (127.77.0.20-21).
; Addresses outside 127.0.0.0/8 are documentation addresses (RFC 5737): data, never contacted.
$ORIGIN contoso.com.
$TTL 3600
@                   IN SOA  ns1.olddns.example. hostmaster.contoso.com. (
                            2026010101 3600 900 1209600 3600 )
@                   IN NS   ns1.olddns.example.
@                   IN NS   ns2.olddns.example.
@                   IN MX   0 .
@                   IN TXT  "v=spf1 -all"
@                   IN A    203.0.113.60
