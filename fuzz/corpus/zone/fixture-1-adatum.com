; contoso.com: a GCC High tenant (cloud us-gov; tenant adatum.onmicrosoft.us). The MX label
; is the tenant name, not the domain. Served by "olddns" (127.77.0.20-21).
$ORIGIN contoso.com.
$TTL 3600
@                   IN SOA  ns1.olddns.example. hostmaster.contoso.com. (
                            2026010101 3600 900 1209600 3600 )
@                   IN NS   ns1.olddns.example.
@                   IN NS   ns2.olddns.example.
@                   IN MX   0 adatum.mail.protection.office365.us.
@                   IN TXT  "v=spf1 include:spf.protection.office365.us -all"
@                   IN TXT  "MS=ms23456789"
autodiscover        IN CNAME autodiscover.office365.us.
_sipfederationtls._tcp IN SRV 100 1 5061 sipfed.online.gov.skypeforbusiness.us.
; mixed case as Microsoft's table prints it: matching must ignore case
enterpriseenrollment IN CNAME EnterpriseEnrollment-s.manage.microsoft.us.
