"""The curriculum every process answers from follows the database stamp, and a failed reload keeps the
loaded one rather than failing every message."""

from __future__ import annotations

import time

from sitecoach import services as services_module


def test_a_moved_stamp_reloads_and_a_failed_reload_keeps_the_loaded_curriculum(services, monkeypatch):
    monkeypatch.setattr(services_module, "CATALOGUE_STAMP_TTL_SECONDS", 0.0)
    real_load = services.load_catalogue
    stamp = {"value": 1}
    loads = {"count": 0, "fail": False}

    def load():
        loads["count"] += 1
        if loads["fail"]:
            raise ConnectionError("database away")
        return real_load()

    services.load_catalogue, services.catalogue_stamp = load, lambda: stamp["value"]
    services.reload_catalogue()
    first = services.catalogue()
    assert services.catalogue() is first and loads["count"] == 1  # same stamp: no reload
    stamp["value"], loads["fail"] = 2, True
    time.sleep(0.001)
    assert services.catalogue() is first  # the reload failed: the loaded curriculum still answers
    loads["fail"] = False
    fresh = services.catalogue()  # tried again at the next check, and it worked
    assert fresh is not first and loads["count"] == 3
