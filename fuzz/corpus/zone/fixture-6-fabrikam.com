; contoso.com: zone at the old DNS host; mail still at Microsoft 365 (MX, SPF,
; autodiscover) and a leftover verification MX. Served by "olddns" (127.77.0.20-21).
; Addresses outside 127.0.0.0/8 are documentation addresses (RFC 5737): data, never contacted.
$ORIGIN contoso.com.
$TTL 3600
@                   IN SOA  ns1.olddns.example. hostmaster.contoso.com. (
                            2026010101 3600 900 1209600 3600 )
@                   IN NS   ns1.olddns.example.
@                   IN NS   ns2.olddns.example.
@                   IN MX   0 fabrikam-com.mail.protection.outlook.com.
@                   IN MX   32767 ms87654321.msv1.invalid.
@                   IN TXT  "v=spf1 include:spf.protection.outlook.com -all"
autodiscover        IN CNAME autodiscover.outlook.com.
@                   IN A    203.0.113.20
www                 IN CNAME contoso.com.
