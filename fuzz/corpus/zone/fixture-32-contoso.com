; contoso.com: the main test zone of tests/unit/test_zone_resolver.cc.
$TTL 3600
@   IN SOA ns1.contoso.com. hostmaster.contoso.com. (
        2024010101 ; serial
        7200       ; refresh
        3600       ; retry
        1209600    ; expire
        300 )      ; minimum: negative TTL = min(3600, 300) = 300
    IN NS  ns1.contoso.com.
    IN NS  ns2.contoso.com.
    IN MX  0 contoso-com.mail.protection.outlook.com.
    IN TXT "v=spf1 include:spf.protection.outlook.com -all"
ns1 IN A 192.0.2.1
ns2 IN A 192.0.2.2

; CNAMEs: into another zone of the directory, into a zone the directory lacks, to a name
; that does not exist
www          600 IN CNAME web.fabrikam.net.
autodiscover     IN CNAME autodiscover.outlook.com.
gone             IN CNAME nothere.fabrikam.net.

; _tls.contoso.com is an empty non-terminal
_sip._tls IN SRV 100 1 443 sipdir.online.lync.com.

Mixed.CASE IN A 192.0.2.3

; RFC 2181 §5.2: TTLs that differ inside one RRset are read as the lowest
multi 200 IN A 192.0.2.4
multi 100 IN A 192.0.2.5
multi 100 IN A 192.0.2.5 ; a duplicate record: an RRset is a set

; a CNAME loop, and a chain of nine CNAMEs (hop1 … hop9 → hop10)
loop1 IN CNAME loop2
loop2 IN CNAME loop1
hop1 IN CNAME hop2
hop2 IN CNAME hop3
hop3 IN CNAME hop4
hop4 IN CNAME hop5
hop5 IN CNAME hop6
hop6 IN CNAME hop7
hop7 IN CNAME hop8
hop8 IN CNAME hop9
hop9 IN CNAME hop10
hop10 IN A 192.0.2.10

; wildcards (RFC 4592); b.wild is an empty non-terminal that blocks *.wild below it
*.wild    IN A   192.0.2.20
*.wild    IN TXT "from the wildcard"
host.wild IN A   192.0.2.21
a.b.wild  IN A   192.0.2.22
*.cn      IN CNAME web.fabrikam.net.

; a delegation whose child zone is not in the directory, with glue
sub    IN NS ns.sub.contoso.com.
ns.sub IN A  192.0.2.30

; a sub-origin inside the zone
$ORIGIN lab.contoso.com.
printer IN A 192.0.2.40
$ORIGIN contoso.com.

; an "@" owner, then a blank owner: the second CAA belongs to the apex too
ns3 IN A 192.0.2.9
@   IN CAA 0 issue "letsencrypt.org"
    IN CAA 0 iodef "mailto:security@contoso.com"
