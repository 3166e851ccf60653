import cProfile, pstats
from tests.test_sweep_access import test_every_route_for_every_actor_on_real_objects as t
from tests.leaderboards_support import live  # noqa
def test_p(app, db, make):
    pr = cProfile.Profile(); pr.enable()
    t(app, db, make, "anonymous")
    pr.disable(); pstats.Stats(pr).sort_stats("cumulative").print_stats(25)
