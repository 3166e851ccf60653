"""The question bank's public services, for callers outside ``quizapp.bank``.

A facade only: each rule lives in the module named after what it does, and
code inside ``quizapp.bank`` imports those modules directly.

- :mod:`quizapp.bank.validation` — the one validator (every format and the editor);
- :mod:`quizapp.bank.versions` — matching rows to the bank and writing new versions;
- :mod:`quizapp.bank.importing` — importing files, all-or-nothing;
- :mod:`quizapp.bank.editor` — listing, creating, editing and flagging questions;
- :mod:`quizapp.bank.exporting` — exports and the downloadable templates.

Must not: hold any rule of its own.
"""
from quizapp.bank.editor import (  # noqa: F401
    ListFilters, QuestionInvalid, approve, approved_counts, areas, clear_flag, create_question, edit_question,
    flag_document, history, is_used, list_select, record_of, restore, retire, used_ids,
)
from quizapp.bank.exporting import export, export_rows, template_docx, template_xlsx  # noqa: F401
from quizapp.bank.importing import (  # noqa: F401
    ImportReport, import_file, import_files, import_path, import_records, parse_category_map,
)
from quizapp.bank.validation import RowError, validate  # noqa: F401
from quizapp.bank.versions import Progress  # noqa: F401
