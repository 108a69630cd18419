"""Runs Synapse with a static name -> address map instead of DNS (a district without DNS: labs, tests).

SCHULHOF_SYNAPSE_HOSTS names a JSON file {"name": "address"}. Names in it resolve to their address;
any other name that is not an address fails at once, and SRV lookups find nothing, so Synapse never
asks a DNS server. The remaining arguments are Synapse's (as for `python -m synapse.app.homeserver`);
SCHULHOF_SYNAPSE_APP names another entry point (a worker: synapse.app.generic_worker).
"""

import ipaddress
import json
import os
import runpy
import socket
import sys


def _is_address(host):
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        return False


def _install(hosts):
    original = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        name = host.decode("ascii") if isinstance(host, bytes) else host
        if name is not None and not _is_address(name) and name != "localhost":
            address = hosts.get(name.lower().rstrip("."))
            if address is None:
                raise socket.gaierror(socket.EAI_NONAME, "not in the district's hosts file: " + name)
            host = address
        return original(host, port, *args, **kwargs)

    # Before Twisted is imported: its resolver binds socket.getaddrinfo when its module loads.
    socket.getaddrinfo = getaddrinfo

    from twisted.internet import defer
    from twisted.names import client, error

    def lookup_service(name, *args, **kwargs):
        return defer.fail(error.DNSNameError(name))

    client.lookupService = lookup_service


def main():
    path = os.environ.get("SCHULHOF_SYNAPSE_HOSTS")
    if path:
        with open(path, encoding="utf8") as f:
            _install({k.lower(): v for k, v in json.load(f).items()})
    app = os.environ.get("SCHULHOF_SYNAPSE_APP", "synapse.app.homeserver")
    sys.argv = [app] + sys.argv[1:]
    runpy.run_module(app, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
