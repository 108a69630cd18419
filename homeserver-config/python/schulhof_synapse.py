"""Runs a Synapse process (main or worker) for Schulhof: Synapse itself, with four additions.

1. Appservice catch-up (always). Synapse marks an appservice DOWN when a transaction fails, stores
   every later event as a transaction of its own, and a recoverer sends them once the appservice
   answers again; when the recoverer finds nothing left it marks the service UP. An event whose
   transaction was stored in the moment between the recoverer's last look and UP (its sender read
   DOWN just before) stays in `application_services_txns` with the service UP: nothing sends it
   until the appservice's next outage. A homework submission would wait for days. After each
   recovery, and after each send that overlapped one, Schulhof looks for such a transaction and
   starts a new recovery for it. Costs nothing while the appservice is up. See docs/operations.md.

2. A district without DNS (labs, tests): SCHULHOF_SYNAPSE_HOSTS names a JSON file
   {"name": "address"}. Names in it resolve to their address; any other name that is not an
   address fails at once, and SRV lookups find nothing, so Synapse never asks a DNS server.

3. New devices are announced when they publish keys (`schulhof_quiet_new_devices: true` in
   homeserver.yaml, which Synapse itself ignores). Synapse tells everyone who shares a room with a
   user about each new device of theirs at once; in a school whose people share classes and
   courses, every login of the morning wakes hundreds of open syncs. A device matters to others
   only once it has encryption keys, and uploading them announces it anyway (Synapse's
   `upload_keys_for_user`), so the first announcement is skipped for every user, as Synapse's own
   `dont_notify_new_devices_for` does for the users it lists. See docs/scaling.md.

4. `gc_min_interval` takes effect, and the garbage collector's cost is logged. Synapse runs Python's
   collector itself, at most once per interval per generation; it reads the setting into
   `config.server.gc_seconds` and assigns it to `synapse.metrics.MIN_TIME_BETWEEN_GCS`, a re-export,
   while the collector reads `synapse.metrics._gc.MIN_TIME_BETWEEN_GCS` (Synapse 1.163: the setting
   does nothing). Once a minute the launcher logs how many collections of each generation ran and
   how long they took (logger `schulhof.synapse.gc`, INFO, in homeserver.log). See docs/scaling.md.

The arguments are Synapse's (as for `python -m synapse.app.homeserver`); SCHULHOF_SYNAPSE_APP names
another entry point (a worker: synapse.app.generic_worker).
"""

import gc
import ipaddress
import json
import logging
import os
import runpy
import socket
import sys
import threading
import time

logger = logging.getLogger("schulhof.synapse")


def _is_address(host):
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        return False


def install_hosts(hosts):
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


def install_appservice_catch_up(controller_class):
    """Wraps `send` and `on_recovered` of Synapse's appservice transaction controller (see 1. above).

    A stranded transaction needs a sender that read DOWN before the recoverer set UP and stored its
    transaction after the recoverer's last look. Each service has a recovery count, raised right
    after UP is written. A send that ends before the raise stored its transaction before the check
    that follows the raise; a send that ends after it, having begun before it, checks itself.
    """
    from synapse.appservice import ApplicationServiceState

    original_send = controller_class.send
    original_on_recovered = controller_class.on_recovered

    def recoveries(self):
        counts = getattr(self, "_schulhof_recoveries", None)
        if counts is None:
            counts = self._schulhof_recoveries = {}
        return counts

    async def recover_stranded(self, service):
        if service.id in self.recoverers:
            return
        txn = await self.store.get_oldest_unsent_txn(service)
        if txn is None or service.id in self.recoverers:
            return
        logger.warning(
            "Transaction %s for AS ID %s was stored while the service was down and missed its recovery; recovering again",
            txn.id,
            service.id,
        )
        await self.store.set_appservice_state(service, ApplicationServiceState.DOWN)
        if service.id not in self.recoverers:
            self.start_recoverer(service)
            # The appservice answered a moment ago: send now rather than after the first backoff.
            self.recoverers[service.id].force_retry()

    async def check_stranded(self, service):
        # Never raises: a failed check must not turn a finished recovery (or a send) into a failed one.
        try:
            await recover_stranded(self, service)
        except Exception:
            logger.exception("Could not check AS ID %s for stranded transactions", service.id)

    async def send(self, service, *args, **kwargs):
        before = recoveries(self).get(service.id, 0)
        try:
            return await original_send(self, service, *args, **kwargs)
        finally:
            if recoveries(self).get(service.id, 0) != before:
                await check_stranded(self, service)

    async def on_recovered(self, recoverer):
        await original_on_recovered(self, recoverer)
        counts = recoveries(self)
        counts[recoverer.service.id] = counts.get(recoverer.service.id, 0) + 1
        await check_stranded(self, recoverer.service)

    controller_class.send = send
    controller_class.on_recovered = on_recovered


class EveryUser(frozenset):
    """`dont_notify_new_devices_for` that lists every user."""

    def __contains__(self, user_id):
        return True


def install_quiet_new_devices(registration_config_class):
    """Reads `schulhof_quiet_new_devices` with Synapse's registration settings (see 3. above)."""
    original = registration_config_class.read_config

    def read_config(self, config, *args, **kwargs):
        original(self, config, *args, **kwargs)
        if config.get("schulhof_quiet_new_devices") is True:
            self.dont_notify_new_devices_for = EveryUser()

    registration_config_class.read_config = read_config


def install_gc_min_interval(server_config_class):
    """Hands `gc_min_interval` to the module whose collector reads it (see 4. above)."""
    original = server_config_class.read_config

    def read_config(self, config, *args, **kwargs):
        original(self, config, *args, **kwargs)
        if self.gc_seconds:
            import synapse.metrics._gc as gc_module

            gc_module.MIN_TIME_BETWEEN_GCS = tuple(self.gc_seconds)

    server_config_class.read_config = read_config


class GcStats:
    """Counts collections and their time per generation; `report` gives the totals since the last report."""

    def __init__(self, clock=time.monotonic):
        self.clock = clock
        self.started = None
        self.counts = [0, 0, 0]
        self.seconds = [0.0, 0.0, 0.0]

    def callback(self, phase, info):
        if phase == "start":
            self.started = self.clock()
        elif self.started is not None:
            generation = info["generation"]
            self.counts[generation] += 1
            self.seconds[generation] += self.clock() - self.started
            self.started = None

    def report(self):
        counts, self.counts = self.counts, [0, 0, 0]
        seconds, self.seconds = self.seconds, [0.0, 0.0, 0.0]
        return ", ".join(f"gen{g} {counts[g]}x {seconds[g]:.2f} s" for g in range(3))


def install_gc_log(interval=60.0):
    """Logs the collector's cost once per `interval` seconds, from a daemon thread (see 4. above)."""
    stats = GcStats()
    gc.callbacks.append(stats.callback)
    log = logging.getLogger("schulhof.synapse.gc")

    def loop():
        while True:
            time.sleep(interval)
            log.info("garbage collection in the last %d s: %s", interval, stats.report())

    threading.Thread(target=loop, name="schulhof-gc-log", daemon=True).start()
    return stats


def main():
    path = os.environ.get("SCHULHOF_SYNAPSE_HOSTS")
    if path:
        with open(path, encoding="utf8") as f:
            install_hosts({k.lower(): v for k, v in json.load(f).items()})
    from synapse.appservice.scheduler import _TransactionController

    install_appservice_catch_up(_TransactionController)
    from synapse.config.registration import RegistrationConfig

    install_quiet_new_devices(RegistrationConfig)
    from synapse.config.server import ServerConfig

    install_gc_min_interval(ServerConfig)
    install_gc_log()
    app = os.environ.get("SCHULHOF_SYNAPSE_APP", "synapse.app.homeserver")
    sys.argv = [app] + sys.argv[1:]
    runpy.run_module(app, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
