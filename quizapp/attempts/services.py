"""Transitional re-export facade: the entrant side of the contest engine now lives in modules
named after what they do (``entry``, ``start``, ``shown``, ``answers``, ``prediction``,
``grading``, ``submit``, ``sweep``, ``review``, ``history``, ``clock``, ``errors``).

Only callers in other packages still import from here while they are restructured; new code
imports from the module that owns the name.  Nothing but re-exports may be added here, and
the file goes once no caller outside ``quizapp.attempts`` uses it.  (A test that monkeypatches
a name must patch it in the module that looks it up, not here.)
"""
from quizapp.attempts.answers import MAX_SEQ, SaveResult, save_answer, save_answers_form  # noqa: F401
from quizapp.attempts.clock import grace, is_expired, remaining_ms, sweep_after  # noqa: F401
from quizapp.attempts.entry import (RoundForEntrant, get_round_for_entrant, open_rounds_for,  # noqa: F401
                                    round_for_entrant)
from quizapp.attempts.errors import TimeUp  # noqa: F401
from quizapp.attempts.prediction import MAX_PREDICTION, PREDICTION_SCALE, parse_prediction  # noqa: F401
from quizapp.attempts.review import ReviewedQuestion, review, review_visible  # noqa: F401
from quizapp.attempts.shown import AttemptView, ShownQuestion, attempt_view, get_attempt, shown_questions  # noqa: F401
from quizapp.attempts.start import Quota, StartState, begin_attempt, start_attempt  # noqa: F401
from quizapp.attempts.submit import ResultView, result_view, submit, submit_attempt, submit_form  # noqa: F401
from quizapp.attempts.sweep import close_expired, finalize_all, finalize_expired, record_standing  # noqa: F401
