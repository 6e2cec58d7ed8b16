; contoso.com: delegated (and listed at its apex) to ns1.olddns.example and
; ns1.newdns.example, but only the old host serves it: the new host answers REFUSED
; (a lame delegation). Served by "olddns" (127.77.0.20-21) only. Nothing at Microsoft.
$ORIGIN contoso.com.
$TTL 3600
@                   IN SOA  ns1.olddns.example. hostmaster.contoso.com. (
                            2026010101 3600 900 1209600 3600 )
@                   IN NS   ns1.olddns.example.
@                   IN NS   ns1.newdns.example.
@                   IN MX   10 mx1.newmail.example.
@                   IN TXT  "v=spf1 include:_spf.newmail.example -all"
