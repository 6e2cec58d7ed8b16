; contoso.com: zone at the old DNS host, HALF migrated: MX already at the new mail
; provider, but SPF still includes Microsoft 365 and autodiscover still points there.
; Served by "olddns" (127.77.0.20-21).
; Addresses outside 127.0.0.0/8 are documentation addresses (RFC 5737): data, never contacted.
$ORIGIN contoso.com.
$TTL 3600
@                   IN SOA  ns1.olddns.example. hostmaster.contoso.com. (
                            2026010101 3600 900 1209600 3600 )
@                   IN NS   ns1.olddns.example.
@                   IN NS   ns2.olddns.example.
@                   IN MX   10 mx1.newmail.example.
@                   IN MX   20 mx2.newmail.example.
@                   IN TXT  "v=spf1 include:spf.protection.outlook.com include:_spf.newmail.example -all"
autodiscover        IN CNAME autodiscover.outlook.com.
@                   IN A    203.0.113.30
www                 IN CNAME contoso.com.
