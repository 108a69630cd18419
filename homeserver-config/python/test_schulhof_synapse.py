"""Tests of the launcher's appservice catch-up against Synapse's own transaction controller.

The controller is Synapse's (`_TransactionController`); its store and recoverer are stand-ins whose
steps the test interleaves, to replay the moment a transaction is stored between the recoverer's
last look and UP. Run: .venv/bin/python -m unittest discover -s homeserver-config/python
"""

import asyncio
import unittest

from synapse.appservice import ApplicationServiceState
from synapse.appservice.scheduler import _TransactionController

import schulhof_synapse

DOWN = ApplicationServiceState.DOWN
UP = ApplicationServiceState.UP


class Service:
    id = "homework"


class Txn:
    def __init__(self, store, txn_id, events):
        self.store = store
        self.id = txn_id
        self.events = events

    async def send(self, as_api):
        return True

    async def complete(self, store):
        store.unsent.remove(self)


class Store:
    """What the controller reads and writes; `hold_create` keeps a transaction from being stored until released."""

    def __init__(self, state):
        self.state = state
        self.unsent = []
        self.next_id = 1
        self.hold_create = None
        self.oldest_lookups = 0

    async def get_appservice_state(self, service):
        return self.state

    async def set_appservice_state(self, service, state):
        self.state = state

    async def create_appservice_txn(self, service, events, **kwargs):
        if self.hold_create is not None:
            await self.hold_create.wait()
        txn = Txn(self, self.next_id, events)
        self.next_id += 1
        self.unsent.append(txn)  # a row until the transaction is sent and completed
        return txn

    async def get_oldest_unsent_txn(self, service):
        self.oldest_lookups += 1
        return self.unsent[0] if self.unsent else None


class Recoverer:
    """Stands in for Synapse's recoverer: the test decides when it has found nothing left."""

    def __init__(self, server_name, clock, hs, store, as_api, service, callback):
        self.service = service
        self.callback = callback
        self.scheduled = False
        self.forced = False

    def recover(self):
        self.scheduled = True

    def force_retry(self):
        self.forced = True


class Hs:
    hostname = "schule-a.test"

    def __init__(self, store):
        self.store = store

    def get_clock(self):
        return None

    def get_datastores(self):
        return type("Stores", (), {"main": self.store})()

    def get_application_service_api(self):
        return None


def controller(patched, state):
    cls = type("Controller", (_TransactionController,), {})
    if patched:
        schulhof_synapse.install_appservice_catch_up(cls)
    store = Store(state)
    ctrl = cls(Hs(store))
    ctrl.RECOVERER_CLASS = Recoverer
    return ctrl, store


def recovering(patched=True):
    """The appservice is DOWN and a recoverer is under way."""
    ctrl, store = controller(patched, DOWN)
    service = Service()
    ctrl.start_recoverer(service)
    return ctrl, store, service, ctrl.recoverers[service.id]


async def stored_during_recovery(patched):
    """A send reads DOWN, then the recoverer finds nothing left and marks UP, then the send's transaction is stored."""
    ctrl, store, service, first = recovering(patched)
    store.hold_create = asyncio.Event()
    sending = asyncio.ensure_future(ctrl.send(service, ["$submission"]))
    await asyncio.sleep(0)  # the send has read DOWN and waits to store its transaction
    assert await store.get_oldest_unsent_txn(service) is None  # the recoverer's last look
    await ctrl.on_recovered(first)
    store.hold_create.set()
    await sending
    return ctrl, store, service, first


class CatchUpTest(unittest.TestCase):
    def test_synapse_alone_strands_the_transaction(self):
        # Without the launcher, this is the gap: UP, one transaction unsent, and nobody to send it.
        ctrl, store, service, _ = asyncio.run(stored_during_recovery(patched=False))
        self.assertEqual(store.state, UP)
        self.assertEqual([t.events for t in store.unsent], [["$submission"]])
        self.assertNotIn(service.id, ctrl.recoverers)

    def test_a_send_that_overlapped_a_recovery_recovers_again(self):
        ctrl, store, service, first = asyncio.run(stored_during_recovery(patched=True))
        self.assertEqual(store.state, DOWN)
        self.assertIn(service.id, ctrl.recoverers)
        second = ctrl.recoverers[service.id]
        self.assertIsNot(second, first)
        self.assertTrue(second.forced)  # sent at once: the appservice answered a moment ago
        self.assertEqual([t.events for t in store.unsent], [["$submission"]])

    def test_a_transaction_stored_before_up_is_found_by_the_recovery_itself(self):
        async def run():
            ctrl, store, service, first = recovering()
            # The recoverer's last look found nothing; the send stores its transaction and ends before UP is written.
            await ctrl.send(service, ["$grade"])
            await ctrl.on_recovered(first)
            return ctrl, store, service, first

        ctrl, store, service, first = asyncio.run(run())
        self.assertEqual(store.state, DOWN)
        self.assertIsNot(ctrl.recoverers[service.id], first)
        self.assertEqual([t.events for t in store.unsent], [["$grade"]])

    def test_a_clean_recovery_stays_up(self):
        async def run():
            ctrl, store, service, first = recovering()
            await ctrl.on_recovered(first)
            await ctrl.send(service, ["$next"])
            return ctrl, store, service

        ctrl, store, service = asyncio.run(run())
        self.assertEqual(store.state, UP)
        self.assertNotIn(service.id, ctrl.recoverers)
        self.assertEqual(store.unsent, [])

    def test_costs_nothing_while_the_service_is_up(self):
        async def run():
            ctrl, store = controller(True, UP)
            service = Service()
            for i in range(20):
                await ctrl.send(service, [f"$e{i}"])
            return store

        store = asyncio.run(run())
        self.assertEqual(store.oldest_lookups, 0)
        self.assertEqual(store.unsent, [])

    def test_a_recovery_already_under_way_is_left_alone(self):
        async def run():
            ctrl, store, service, first = await stored_during_recovery(patched=True)
            second = ctrl.recoverers[service.id]
            # Another stranded check (a later overlapping send) does not start a third recoverer.
            await ctrl.send(service, ["$later"])
            return ctrl, service, second

        ctrl, service, second = asyncio.run(run())
        self.assertIs(ctrl.recoverers[service.id], second)

    def test_a_failed_check_does_not_fail_the_recovery(self):
        # The database refuses the lookup: the recovery still ends (UP, recoverer gone) and nothing raises into Synapse.
        async def run():
            ctrl, store, service, first = recovering()

            async def refused(service):
                raise ConnectionError("database unavailable")

            store.get_oldest_unsent_txn = refused
            with self.assertLogs("schulhof.synapse", "ERROR") as logged:
                await ctrl.on_recovered(first)
            return ctrl, store, service, logged

        ctrl, store, service, logged = asyncio.run(run())
        self.assertEqual(store.state, UP)
        self.assertNotIn(service.id, ctrl.recoverers)
        self.assertIn("Could not check AS ID homework for stranded transactions", logged.output[0])


if __name__ == "__main__":
    unittest.main()


class QuietNewDevicesTest(unittest.TestCase):
    """`schulhof_quiet_new_devices` lists every user in Synapse's `dont_notify_new_devices_for`."""

    def config_class(self):
        class RegistrationConfig:
            def read_config(self, config, **kwargs):
                self.dont_notify_new_devices_for = frozenset(config.get("dont_notify_new_devices_for", []))

        schulhof_synapse.install_quiet_new_devices(RegistrationConfig)
        return RegistrationConfig

    def test_every_user_is_quiet_when_asked(self):
        config = self.config_class()()
        config.read_config({"schulhof_quiet_new_devices": True})
        self.assertIn("@anna:schule.test", config.dont_notify_new_devices_for)
        self.assertIn("@lehrer.weiss:schule.test", config.dont_notify_new_devices_for)

    def test_synapse_list_is_kept_otherwise(self):
        config = self.config_class()()
        config.read_config({"dont_notify_new_devices_for": ["@bot:schule.test"], "schulhof_quiet_new_devices": False})
        self.assertIn("@bot:schule.test", config.dont_notify_new_devices_for)
        self.assertNotIn("@anna:schule.test", config.dont_notify_new_devices_for)


class GcMinIntervalTest(unittest.TestCase):
    """`gc_min_interval` reaches the module whose collector reads it."""

    def setUp(self):
        import synapse.metrics._gc as gc_module

        self.gc_module = gc_module
        self.saved = gc_module.MIN_TIME_BETWEEN_GCS
        self.addCleanup(setattr, gc_module, "MIN_TIME_BETWEEN_GCS", self.saved)

    def test_synapse_alone_leaves_the_collector_at_its_defaults(self):
        import synapse.metrics

        saved = synapse.metrics.MIN_TIME_BETWEEN_GCS
        self.addCleanup(setattr, synapse.metrics, "MIN_TIME_BETWEEN_GCS", saved)
        # What synapse.app.homeserver does with `gc_min_interval`.
        synapse.metrics.MIN_TIME_BETWEEN_GCS = (1.0, 10.0, 600.0)
        self.assertEqual(self.gc_module.MIN_TIME_BETWEEN_GCS, self.saved)

    def test_the_setting_reaches_the_collector(self):
        from synapse.config.server import ServerConfig

        class Config:
            parse_duration = staticmethod(ServerConfig.parse_duration)
            read_gc_intervals = ServerConfig.read_gc_intervals

            def read_config(self, config, **kwargs):
                self.gc_seconds = self.read_gc_intervals(config.get("gc_min_interval"))

        schulhof_synapse.install_gc_min_interval(Config)
        Config().read_config({"gc_min_interval": ["1s", "10s", "10m"]})
        self.assertEqual(self.gc_module.MIN_TIME_BETWEEN_GCS, (1.0, 10.0, 600.0))

    def test_nothing_changes_without_the_setting(self):
        class Config:
            def read_config(self, config, **kwargs):
                self.gc_seconds = None

        schulhof_synapse.install_gc_min_interval(Config)
        Config().read_config({})
        self.assertEqual(self.gc_module.MIN_TIME_BETWEEN_GCS, self.saved)

    def test_the_collector_reads_its_module_global(self):
        # The collector looks the intervals up when it runs, so setting the module's name is enough.
        import inspect

        self.assertIn("MIN_TIME_BETWEEN_GCS[i]", inspect.getsource(self.gc_module.install_gc_manager))


class GcStatsTest(unittest.TestCase):
    def test_counts_and_times_each_generation_then_starts_again(self):
        now = [100.0]
        stats = schulhof_synapse.GcStats(clock=lambda: now[0])
        for generation, seconds in ((0, 0.01), (0, 0.02), (2, 1.5)):
            stats.callback("start", {"generation": generation})
            now[0] += seconds
            stats.callback("stop", {"generation": generation})
        self.assertEqual(stats.report(), "gen0 2x 0.03 s, gen1 0x 0.00 s, gen2 1x 1.50 s")
        self.assertEqual(stats.report(), "gen0 0x 0.00 s, gen1 0x 0.00 s, gen2 0x 0.00 s")

    def test_real_collections_are_counted(self):
        import gc

        stats = schulhof_synapse.GcStats()
        gc.callbacks.append(stats.callback)
        self.addCleanup(gc.callbacks.remove, stats.callback)
        gc.collect(1)
        self.assertTrue(stats.report().startswith("gen0 0x 0.00 s, gen1 1x"))
