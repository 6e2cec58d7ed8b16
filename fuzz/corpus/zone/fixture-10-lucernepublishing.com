; contoso.com: zone HOSTED BY MICROSOFT 365, with a subdomain that has no zone of
; its own: eu.contoso.com has its own MX and SPF (at Microsoft) but is judged by
; contoso.com's delegation. The apex also holds a TXT RRset larger than 1232
; octets (many site-verification tokens), so a UDP answer is truncated and must be asked
; again over TCP. Served by "microsoft" (127.77.0.10-13).
$ORIGIN contoso.com.
$TTL 3600
@                   IN SOA  ns1.bdm.microsoftonline.com. hostmaster.microsoftonline.com. (
                            2026010101 3600 300 2419200 3600 )
@                   IN NS   ns1.bdm.microsoftonline.com.
@                   IN NS   ns2.bdm.microsoftonline.com.
@                   IN NS   ns3.bdm.microsoftonline.com.
@                   IN NS   ns4.bdm.microsoftonline.com.
@                   IN MX   0 lucernepublishing-com.mail.protection.outlook.com.
@                   IN TXT  "v=spf1 include:spf.protection.outlook.com -all"
@                   IN TXT  "site-verification-01=4304fcd9f87cb116b2689c1168101d04ac659fd702c320d4"
@                   IN TXT  "site-verification-02=46d97ee6db8118d2eb90ebaea19f6faeaa3bab83d646cb7d"
@                   IN TXT  "site-verification-03=a7ee988759c97827f4cb375f7a03e2af785cbd593fa811db"
@                   IN TXT  "site-verification-04=3a03c202b31b2dab3980ad6c978859165cf6aa516a1a678a"
@                   IN TXT  "site-verification-05=9c7f8692a1f9a04da88eb7230277e4a0d885b26641e77e24"
@                   IN TXT  "site-verification-06=6c1f7fe72568ad30a5ca068d43b76c40fbbf0f55bdda5573"
@                   IN TXT  "site-verification-07=806b9974c824935272d6d23d5a14d3db76f14da3bddc3345"
@                   IN TXT  "site-verification-08=fe076f6227a1c49b821212b2a3752d62e6ef7858d423475a"
@                   IN TXT  "site-verification-09=8cb2d556e387d6f51af83304a0a648b4adba85b8c736574c"
@                   IN TXT  "site-verification-10=22188a3918ad3bdd751e4a02d3566e52c36e00f20caf6fc6"
@                   IN TXT  "site-verification-11=59099481662579f22dd022cc3cf1ef77eb40fb023db04929"
@                   IN TXT  "site-verification-12=9de922a6b58405386d70de712e4f875c226d7545589dbdfa"
@                   IN TXT  "site-verification-13=35ac762d1f599482f520a2830178a999655915ca9731b808"
@                   IN TXT  "site-verification-14=8dad2713f264b917955643c2c47ba2e23a7ccf24400c5809"
@                   IN TXT  "site-verification-15=5db775a9b41467cf8b1050a2b0838845f23ed431c2c2965f"
@                   IN TXT  "site-verification-16=2b7918200f420a90af010ccea708b73ba37f3356b203b0d9"
@                   IN TXT  "site-verification-17=ca63f7b9ac4214a6fbf21aab35de5cd0dfeb8a0b11f4d2ad"
@                   IN TXT  "site-verification-18=ad47a3d555d3ecb5fce539f7de79edfeb99fdeca619eaaad"
@                   IN TXT  "site-verification-19=d473f405eec7aeb540c9ea390edbf3a73e3d21938631a46a"
@                   IN TXT  "site-verification-20=e9408f82dbba883e73754b757b03099d7df725e8764b3fcc"
@                   IN TXT  "site-verification-21=a82a24731875c71198d33d0bf7b2c2c5d0b677e9ccafa93d"
@                   IN TXT  "site-verification-22=44148966655a6f725d473ee87ecde9d0e7e8aaef0da17d3a"
@                   IN TXT  "site-verification-23=d10bcbbccfb71f875b4c754e03f2fd9c53496a3a8ae42bda"
@                   IN TXT  "site-verification-24=5c1fb7924dd666accbcdb5248befc152d76273b44a727664"
eu                  IN MX   0 eu-lucernepublishing-com.mail.protection.outlook.com.
eu                  IN TXT  "v=spf1 include:spf.protection.outlook.com -all"
