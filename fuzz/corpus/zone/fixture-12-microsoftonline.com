; Microsoft's worldwide DNS hosting: the zone that names ns1..ns4.bdm.contoso.com.
; Served by the "microsoft" server (127.77.0.10-13), which also hosts contoso.com.
$ORIGIN contoso.com.
$TTL 3600
@                   IN SOA  ns1.bdm.contoso.com. hostmaster.contoso.com. (
                            2026010101 3600 300 2419200 3600 )
@                   IN NS   ns1.bdm.contoso.com.
@                   IN NS   ns2.bdm.contoso.com.
@                   IN NS   ns3.bdm.contoso.com.
@                   IN NS   ns4.bdm.contoso.com.
ns1.bdm             IN A    127.77.0.10
ns2.bdm             IN A    127.77.0.11
ns3.bdm             IN A    127.77.0.12
ns4.bdm             IN A    127.77.0.13
