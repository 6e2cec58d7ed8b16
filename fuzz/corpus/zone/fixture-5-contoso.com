; contoso.com: the zone is HOSTED BY MICROSOFT 365 (NS at ns1..ns4.bdm.microsoftonline.com).
; Served by the "microsoft" server (127.77.0.10-13). Every Microsoft 365 record is here,
; plus the customer's own records (apex A, www, _dmarc), which must be recreated at the new
; DNS host before the nameservers are switched.
; Addresses outside 127.0.0.0/8 are documentation addresses (RFC 5737): data, never contacted.
$ORIGIN contoso.com.
$TTL 3600
@                   IN SOA  ns1.bdm.microsoftonline.com. hostmaster.microsoftonline.com. (
                            2026010101 3600 300 2419200 3600 )
@                   IN NS   ns1.bdm.microsoftonline.com.
@                   IN NS   ns2.bdm.microsoftonline.com.
@                   IN NS   ns3.bdm.microsoftonline.com.
@                   IN NS   ns4.bdm.microsoftonline.com.

; Microsoft 365
@                   IN MX   0 contoso-com.mail.protection.outlook.com.
@                   IN TXT  "v=spf1 include:spf.protection.outlook.com -all"
@                   IN TXT  "MS=ms12345678"
autodiscover        IN CNAME autodiscover.outlook.com.
selector1._domainkey IN CNAME selector1-contoso-com._domainkey.contoso.onmicrosoft.com.
selector2._domainkey IN CNAME selector2-contoso-com._domainkey.contoso.onmicrosoft.com.
sip                 IN CNAME sipdir.online.lync.com.
lyncdiscover        IN CNAME webdir.online.lync.com.
_sip._tls           IN SRV  100 1 443 sipdir.online.lync.com.
_sipfederationtls._tcp IN SRV 100 1 5061 sipfed.online.lync.com.
enterpriseregistration IN CNAME enterpriseregistration.windows.net.
enterpriseenrollment IN CNAME enterpriseenrollment-s.manage.microsoft.com.

; the customer's own records (must survive the NS switch)
@                   IN A    203.0.113.10
www                 IN CNAME contoso.com.
_dmarc              IN TXT  "v=DMARC1; p=quarantine; rua=mailto:dmarc-reports@contoso.com"
