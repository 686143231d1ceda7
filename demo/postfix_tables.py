"""Write the lookup tables of the demo's Postfix from a simworld world.

Usage: postfix_tables.py WORLD GREYLIST OUTDIR

Every host of WORLD whose profile carries the modifier "external" is an
address that this Postfix listens on. Each domain whose MX records lead to
such a host gets the behaviour of the host's base:

  normal    virtual mailbox domain listing each mailbox of the world.
            Through the access table "full" ones get 552 5.2.2 and
            "disabled" ones 550 5.2.1. Every other local part gets
            Postfix's 550 5.1.1.
  catchall  virtual alias domain with a wildcard alias, so every local
            part is accepted

GREYLIST lists addresses (one a line, '#' comments) that get 450 4.7.1 on
every try. OUTDIR receives vmailbox, vdomains, valias_domains,
virtual_alias, access and addresses (the external host addresses, one a
line). Exits with status 1 and a message when the world requires
something this Postfix cannot do.
"""
import os
import sys

SINK = "sink@postfix.test"


def fail(message):
    sys.exit("postfix_tables.py: " + message)


def read_world(path):
    hosts, names, domains = {}, {}, []
    with open(path, encoding="ascii") as f:
        for number, line in enumerate(f, 1):
            fields = line.split()
            if not fields or fields[0].startswith("#") or number == 1:
                continue
            kind = fields[0]
            if kind == "H":
                profile = fields[2].split("+")
                hosts[fields[1]] = (profile[0], "external" in profile[1:])
            elif kind in ("A", "C"):
                names[fields[1]] = (kind, fields[2])
            elif kind == "D":
                domains.append({"name": fields[1], "mx": [], "mailboxes": []})
            elif kind == "X":
                domains[-1]["mx"].append(fields[2])
            elif kind == "M":
                domains[-1]["mailboxes"].append((fields[1], fields[2]))
    return hosts, names, domains


def resolve(names, name):
    """Follow CNAMEs (at most 8) to an IPv4 address, or None."""
    for _ in range(8):
        record = names.get(name)
        if record is None:
            return None
        kind, value = record
        if kind == "A":
            return value
        name = value
    return None


def external_base(hosts, names, domain):
    """Base profile of the external host behind DOMAIN, or None."""
    bases = set()
    for target in domain["mx"]:
        addr = resolve(names, target)
        if addr in hosts and hosts[addr][1]:
            bases.add(hosts[addr][0])
    if len(bases) > 1:
        fail("domain %s has MX records on external hosts of different "
             "profiles" % domain["name"])
    return bases.pop() if bases else None


def read_list(path):
    with open(path, encoding="utf-8") as f:
        return [line.strip().lower() for line in f
                if line.strip() and not line.lstrip().startswith("#")]


def build(world, greylist):
    hosts, names, domains = read_world(world)
    tables = {name: [] for name in ("vmailbox", "vdomains", "valias_domains",
                                    "virtual_alias", "access", "addresses")}
    tables["addresses"] = sorted(a for a, h in hosts.items() if h[1])
    tables["vdomains"].append("postfix.test OK")
    tables["vmailbox"].append("%s postfix.test/sink/" % SINK)
    normal = {}
    for domain in domains:
        base = external_base(hosts, names, domain)
        name = domain["name"]
        if base == "catchall":
            tables["valias_domains"].append(name + " OK")
            tables["virtual_alias"].append("@%s %s" % (name, SINK))
        elif base == "normal":
            normal[name] = {local for local, _ in domain["mailboxes"]}
            tables["vdomains"].append(name + " OK")
            for local, state in domain["mailboxes"]:
                address = "%s@%s" % (local, name)
                tables["vmailbox"].append("%s %s/%s/" % (address, name, local))
                if state == "full":
                    tables["access"].append(address + " 552 5.2.2 Mailbox full")
                elif state == "disabled":
                    tables["access"].append(
                        address + " 550 5.2.1 Mailbox disabled")
        elif base is not None:
            fail("external host of %s has profile %s; this Postfix does "
                 "normal and catchall only" % (name, base))
    for address in read_list(greylist):
        local, _, name = address.rpartition("@")
        if name not in normal:
            fail("greylisted %s is not on a normal external domain" % address)
        if local in normal[name]:
            fail("greylisted %s is a mailbox of the world" % address)
        tables["access"].append(
            address + " 450 4.7.1 Greylisted, try again later")
    return tables


def main():
    if len(sys.argv) != 4:
        fail("usage: postfix_tables.py WORLD GREYLIST OUTDIR")
    tables = build(sys.argv[1], sys.argv[2])
    if not tables["addresses"]:
        fail("the world has no host with the modifier external")
    for name, lines in tables.items():
        with open(os.path.join(sys.argv[3], name), "w", encoding="utf-8") as f:
            f.write("".join(line + "\n" for line in lines))


if __name__ == "__main__":
    main()
