; contoso.com: a delegation SWITCHED AT THE REGISTRAR, cleanly. com. delegates it to
; ns1/ns2.newdns.example, and this zone at the new DNS host is complete (its own NS set names
; the new host, MX at the new mail provider). Microsoft's servers still hold the old zone
; (stale/contoso.com.zone) but nothing delegates to them any more. Served by "newdns"
; (127.77.0.30-31). Nothing at Microsoft.
$ORIGIN contoso.com.
$TTL 3600
@                   IN SOA  ns1.newdns.example. hostmaster.contoso.com. (
                            2026020101 3600 900 1209600 3600 )
@                   IN NS   ns1.newdns.example.
@                   IN NS   ns2.newdns.example.
@                   IN MX   10 mx1.newmail.example.
@                   IN MX   20 mx2.newmail.example.
@                   IN TXT  "v=spf1 include:_spf.newmail.example -all"
autodiscover        IN CNAME autodiscover.newmail.example.
@                   IN A    203.0.113.20
