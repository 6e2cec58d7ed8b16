; contoso.com: Office 365 operated by 21Vianet, zone HOSTED BY 21Vianet (NS at
; ns1/ns2.dns.partner.microsoftonline.cn). Served by "21vianet" (127.77.0.14-15).
$ORIGIN contoso.com.
$TTL 3600
@                   IN SOA  ns1.dns.partner.microsoftonline.cn. hostmaster.microsoftonline.cn. (
                            2026010101 3600 300 2419200 3600 )
@                   IN NS   ns1.dns.partner.microsoftonline.cn.
@                   IN NS   ns2.dns.partner.microsoftonline.cn.
@                   IN MX   0 fourthcoffee-com.mail.protection.partner.outlook.cn.
@                   IN TXT  "v=spf1 include:spf.protection.partner.outlook.cn -all"
@                   IN TXT  "MS=ms34567890"
autodiscover        IN CNAME autodiscover.partner.outlook.cn.
msoid               IN CNAME clientconfig.partner.microsoftonline-p.net.cn.
_sipfederationtls._tcp IN SRV 100 1 5061 sipfed.online.partner.lync.cn.
lyncdiscover        IN CNAME webdir.online.partner.lync.cn.
