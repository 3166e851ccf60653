"""Transitional facade: the contest rules now live in modules named after what they do.

``eligibility`` (who may enter), ``schedule`` (round state, open and upcoming rounds),
``review`` (when answer keys may be shown), ``settings`` (choices, defaults, bounds),
``quotas`` (questions per area and their pools), ``contests`` (contest CRUD and
publishing), ``rounds`` (round CRUD), ``grants`` (individual exceptions and an
entrant's limits), ``catalogue`` (the public list and page access).

This module only re-exports the names that packages outside ``quizapp.contests`` still
import from here while they are restructured.  Import from the modules above instead;
add nothing here, and delete this file once no caller is left.
"""
from .eligibility import admits, is_eligible
from .schedule import open_rounds_for, open_rounds_public, round_state, upcoming_rounds_for
from .review import contest_closes_at, review_opened, review_time_reached
from .quotas import QuotaItem, default_quotas, fresh_counts, quota_shortages, reform_areas, used_question_ids
from .contests import (
    ContestData, all_contests, archive, contest_data_of, create_contest, delete_contest, get_contest_by_slug,
    publish, unpublish, update_contest)
from .rounds import RoundData, add_round, delete_round, round_data_of, update_round
from .grants import EntrantLimits, find_entrants, grant, grants_for, limits_for, mask_phone
from .catalogue import can_view, visible_contests
# quizapp.demo reads ``Decimal`` through this module (an accident of the old import): kept until it imports its own.
from decimal import Decimal
