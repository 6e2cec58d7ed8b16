; contoso.com: fully migrated. Zone at the new DNS host, mail at the new provider,
; nothing left at Microsoft 365. Served by "newdns" (127.77.0.30-31).
; Addresses outside 127.0.0.0/8 are documentation addresses (RFC 5737): data, never contacted.
$ORIGIN contoso.com.
$TTL 3600
@                   IN SOA  ns1.newdns.example. hostmaster.contoso.com. (
                            2026010101 3600 900 1209600 3600 )
@                   IN NS   ns1.newdns.example.
@                   IN NS   ns2.newdns.example.
@                   IN MX   10 mx1.newmail.example.
@                   IN MX   20 mx2.newmail.example.
@                   IN TXT  "v=spf1 include:_spf.newmail.example -all"
autodiscover        IN CNAME autodiscover.newmail.example.
_dmarc              IN TXT  "v=DMARC1; p=reject; rua=mailto:dmarc@contoso.com"
@                   IN A    203.0.113.40
www                 IN CNAME contoso.com.
