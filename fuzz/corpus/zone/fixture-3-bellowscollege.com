; contoso.com: a delegation switched at the registrar to ns1/ns2.newdns.example, but
; the zone was copied to the new DNS host with its apex NS records unchanged: the zone's own
; NS set still names Microsoft's servers, which still serve the old zone
; (stale/contoso.com.zone, MX at Microsoft). Resolvers that trust the child's NS set
; go back to Microsoft. Served by "newdns" (127.77.0.30-31).
$ORIGIN contoso.com.
$TTL 3600
@                   IN SOA  ns1.newdns.example. hostmaster.contoso.com. (
                            2026020101 3600 900 1209600 3600 )
@                   IN NS   ns1.bdm.microsoftonline.com.
@                   IN NS   ns2.bdm.microsoftonline.com.
@                   IN NS   ns3.bdm.microsoftonline.com.
@                   IN NS   ns4.bdm.microsoftonline.com.
@                   IN MX   10 mx1.newmail.example.
@                   IN MX   20 mx2.newmail.example.
@                   IN TXT  "v=spf1 include:_spf.newmail.example -all"
