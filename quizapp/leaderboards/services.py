"""Transitional re-exports: the leaderboards' services now live in modules named after what they do.

``visibility`` (who may see results; the round/contest of a results page), ``snapshots``
(a round's ranked snapshot and its codec), ``contest_ranking`` (the contest-wide ranking),
``refresh`` (cached rankings recomputed off the request path), ``boards`` (pages of a
ranking), ``places`` (one's own place), ``unit_ranking``, ``round_stats``, ``people``
(a unit manager's people).  Import from those.  This module only keeps the names that
other packages (attempts, campaign, bench) imported from here working while they are
restructured; remove it once they import from the modules above.  Add nothing here.
"""
from quizapp.leaderboards.boards import Board  # noqa: F401
from quizapp.leaderboards.boards import contest_board  # noqa: F401
from quizapp.leaderboards.boards import round_board  # noqa: F401
from quizapp.leaderboards.boards import unit_choices  # noqa: F401
from quizapp.leaderboards.places import own_place  # noqa: F401
from quizapp.leaderboards.places import place_in_round  # noqa: F401
from quizapp.leaderboards.snapshots import compute_round_snapshot  # noqa: F401
from quizapp.leaderboards.snapshots import round_snapshot  # noqa: F401
from quizapp.leaderboards.unit_ranking import compute_unit_ranking  # noqa: F401
from quizapp.leaderboards.unit_ranking import unit_ranking  # noqa: F401
from quizapp.leaderboards.visibility import LoginRequired  # noqa: F401
from quizapp.leaderboards.visibility import check_results_access  # noqa: F401
from quizapp.leaderboards.visibility import get_round  # noqa: F401
