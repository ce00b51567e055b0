/* ctl_table.c — ladderctl's subcommands, one row each (the type is in ctl.h):
 * name, synopsis, summary, example, the Command or Query member it fills, its
 * arguments and options with their JSON fields. Parsing, help, the overview,
 * the request and the man page's command list all come from these rows.
 *
 * To add a command: add a row. A Command row needs no code; a Query row names
 * a show function (ctl_show.c) for its table.
 */
#include <string.h>

#include "ctl.h"

/* review, review-kb: an approval carries an amount (and for a case its level
 * and category); a rejection none. */
static const char *check_review(json_t *b)
{
    const char *v = ctl_body_str(b, "verdict");
    if (!v)
        return "needs --approve or --reject";
    if (!strcmp(v, "VERDICT_APPROVE") &&
        (!json_object_get(b, "amount") || !json_object_get(b, "level") || !json_object_get(b, "category")))
        return "an approval needs --amount, --level and --category";
    return NULL;
}

static const char *check_review_kb(json_t *b)
{
    const char *v = ctl_body_str(b, "verdict");
    if (!v)
        return "needs --approve or --reject";
    if (!strcmp(v, "VERDICT_APPROVE") && !json_object_get(b, "amount"))
        return "an approval needs --amount (2-5)";
    return NULL;
}

static const char *check_decide_appeal(json_t *b)
{
    return json_object_get(b, "overturn") ? NULL : "needs --overturn or --uphold";
}

#define REASON {"reason", "reason", A_STR, "R", 0, "why (recorded with the event)"}

const ctl_row_t ctl_rows[] = {
    {.name = "send", .synopsis = "FILE|-",
     .summary = "Commands as JSON (proto3 mapping): one, an array, or {\"commands\":[...]};\n"
                "all-or-nothing in one request; prints the appended events",
     .example = "echo '{\"hire\":{\"employeeId\":\"e1\",\"name\":\"Li Na\"}}' | ladderctl send -",
     .args = {{"FILE", "file", A_STR, NULL, 1, NULL}},
     .run = ctl_run_send},
    {.name = "hire", .synopsis = "ID --name N [--team T] [--centre C]",
     .summary = "Hire an employee at level 0 (§1)",
     .example = "ladderctl hire e042 --name \"Wang Wei\" --team north-1 --centre north",
     .command = "hire",
     .args = {{"ID", "employeeId", A_STR, NULL, 1, NULL}},
     .opts = {{"name", "name", A_STR, "NAME", 1, "the employee's name (any script)"},
              {"team", "team", A_STR, "T", 0, "team"},
              {"centre", "centre", A_STR, "C", 0, "centre"}}},
    {.name = "award", .synopsis = "ID AMOUNT --reason R",
     .summary = "A signed manual points adjustment (§3 P12)",
     .example = "ladderctl award e042 25 --reason \"helped a colleague\"\n"
                "ladderctl award e042 -10 --reason \"correction\"",
     .command = "adjustPoints",
     .args = {{"ID", "employeeId", A_STR, NULL, 1, NULL},
              {"AMOUNT", "amount", A_I64, NULL, 1, NULL}},
     .opts = {REASON}},
    {.name = "task", .synopsis = "ID TASK",
     .summary = "A rules-learning task completed (level-0 .. level-5; §3 P1, §6.2)",
     .example = "ladderctl task e042 level-0",
     .command = "completeTask",
     .args = {{"ID", "employeeId", A_STR, NULL, 1, NULL}, {"TASK", "taskId", A_STR, NULL, 1, NULL}}},
    {.name = "study", .synopsis = "ID CASE",
     .summary = "An employee studied a case (§6.3)",
     .example = "ladderctl --as e042 --roles employee study e042 L1-billing-00",
     .command = "studyCase",
     .args = {{"ID", "employeeId", A_STR, NULL, 1, NULL}, {"CASE", "caseId", A_STR, NULL, 1, NULL}}},
    {.name = "rate", .synopsis = "ID CASE excellent|average|poor",
     .summary = "An employee rates a studied case once (§4 P4)",
     .example = "ladderctl --as e042 --roles employee rate e042 L1-billing-00 excellent",
     .command = "rateCase",
     .args = {{"ID", "employeeId", A_STR, NULL, 1, NULL},
              {"CASE", "caseId", A_STR, NULL, 1, NULL},
              {"RATING", "rating", A_CHOICE,
               "excellent=RATING_EXCELLENT,average=RATING_AVERAGE,poor=RATING_POOR", 1, NULL}}},
    {.name = "submit-case", .synopsis = "SUB CASE AUTHOR --title T --question Q [--background B]",
     .summary = "Submit a text case for review (§4)",
     .example = "ladderctl --as e042 --roles employee submit-case s1 c1 e042 --title \"Lost SIM\" "
                "--question \"My SIM card is gone\"",
     .command = "submitCase", .fixed = "{\"content\":{\"kind\":\"CASE_KIND_TEXT\"}}",
     .args = {{"SUB", "submissionId", A_STR, NULL, 1, NULL},
              {"CASE", "caseId", A_STR, NULL, 1, NULL},
              {"AUTHOR", "authorId", A_STR, NULL, 1, NULL}},
     .opts = {{"title", "content.title", A_STR, "T", 1, "the case's title"},
              {"question", "content.root.customerSays", A_STR, "Q", 1, "what the customer says"},
              {"background", "content.background", A_STR, "B", 0, "the situation"}}},
    {.name = "review", .synopsis = "SUB (--approve --amount N --level L --category C | --reject)",
     .summary = "A review of a case submission in the name of --as (§4, §5)",
     .example = "ladderctl --as mgr-a review s1 --approve --amount 30 --level 1 --category sim",
     .command = "reviewCase", .self = "reviewerId", .check = check_review,
     .args = {{"SUB", "submissionId", A_STR, NULL, 1, NULL}},
     .opts = {{"approve", "verdict", A_FLAG, "\"VERDICT_APPROVE\"", 0, "approve"},
              {"reject", "verdict", A_FLAG, "\"VERDICT_REJECT\"", 0, "reject"},
              {"amount", "amount", A_I64, NULL, 0, "points for the author (§3 P3)"},
              {"level", "level", A_U32, NULL, 0, "the level the case belongs to (1-5)"},
              {"category", "category", A_STR, "C", 0, "its category"}}},
    {.name = "mentor", .synopsis = "MENTOR APPRENTICE",
     .summary = "The mentor proposes an apprenticeship (§6.5; confirm-mentor makes it count)",
     .example = "ladderctl mentor e013 e042",
     .command = "startApprenticeship",
     .args = {{"MENTOR", "mentorId", A_STR, NULL, 1, NULL},
              {"APPRENTICE", "apprenticeId", A_STR, NULL, 1, NULL}}},
    {.name = "confirm-mentor", .synopsis = "MENTOR APPRENTICE",
     .summary = "The apprentice (or a manager) confirms a proposed apprenticeship; it\n"
                "counts from 30 days on (§6.5 v2)",
     .example = "ladderctl --as e042 --roles employee confirm-mentor e013 e042",
     .command = "confirmApprenticeship",
     .args = {{"MENTOR", "mentorId", A_STR, NULL, 1, NULL},
              {"APPRENTICE", "apprenticeId", A_STR, NULL, 1, NULL}}},
    {.name = "place", .synopsis = "ID LEVEL --reason R",
     .summary = "Place an existing employee at a level 1-5, once, before their first\n"
                "promotion; a retention year starts (§2 v2)",
     .example = "ladderctl place e042 3 --reason \"senior teacher before Ladder\"",
     .command = "placeEmployee",
     .args = {{"ID", "employeeId", A_STR, NULL, 1, NULL}, {"LEVEL", "level", A_U32, NULL, 1, NULL}},
     .opts = {REASON}},
    {.name = "extend", .synopsis = "ID DAYS --reason R",
     .summary = "Extend this retention year's re-test window once, by 1-60 days (§7 v2)",
     .example = "ladderctl extend e013 30 --reason \"sick leave\"",
     .command = "extendRetentionWindow",
     .args = {{"ID", "employeeId", A_STR, NULL, 1, NULL}, {"DAYS", "days", A_U32, NULL, 1, NULL}},
     .opts = {REASON}},
    {.name = "reverse", .synopsis = "SEQ --reason R",
     .summary = "Reverse a fact a manager recorded (query test, exam grade, study, task,\n"
                "volunteer hours, QC completion, quality award, placement) by its seq;\n"
                "decisions that used it stand and are named (§12 v2)",
     .example = "ladderctl reverse 9604 --reason \"typed 1510 s for 151.0 s\"",
     .command = "reverseFact",
     .args = {{"SEQ", "seq", A_U64, NULL, 1, NULL}},
     .opts = {REASON}},
    {.name = "exam expire", .synopsis = "ID",
     .summary = "Void an employee's open exam not graded within 14 days (§6.6 v2;\n"
                "the daemon does it at the deadline)",
     .example = "ladderctl exam expire e042",
     .command = "expireExam",
     .args = {{"ID", "employeeId", A_STR, NULL, 1, NULL}}},
    {.name = "query-test", .synopsis = "ID SECONDS",
     .summary = "A 100-query test's total time in seconds (§6.4)",
     .example = "ladderctl query-test e042 132.5",
     .command = "recordQueryTest",
     .args = {{"ID", "employeeId", A_STR, NULL, 1, NULL},
              {"SECONDS", "totalMs", A_SECONDS, NULL, 1, NULL}}},
    {.name = "exam draw", .synopsis = "EXAM ID [--retention] [--size N]",
     .summary = "Draw an exam for a promotion, or a retention re-test (§6.6, §7)",
     .example = "ladderctl exam draw x1 e042\nladderctl exam draw r1 e013 --retention",
     .command = "drawExam", .fixed = "{\"purpose\":\"EXAM_PROMOTION\"}",
     .args = {{"EXAM", "examId", A_STR, NULL, 1, NULL}, {"ID", "employeeId", A_STR, NULL, 1, NULL}},
     .opts = {{"retention", "purpose", A_FLAG, "\"EXAM_RETENTION\"", 0, "a §7 retention re-test"},
              {"size", "size", A_U32, NULL, 0, "number of cases (default: the rules')"},
              {"seed", "seed", A_U64, NULL, 0, "the draw's seed (reproducible exams)"}}},
    {.name = "exam grade", .synopsis = "EXAM SCORE...",
     .summary = "Grade a drawn exam: one score (0-100) per drawn case (§6.6)",
     .example = "ladderctl exam grade x1 90 85 70 95 88 90 77 93 81 90",
     .command = "gradeExam",
     .args = {{"EXAM", "examId", A_STR, NULL, 1, NULL}, {"SCORE", "scores", A_U32, NULL, 2, NULL}}},
    {.name = "appeal", .synopsis = "ID --reason R",
     .summary = "Appeal a demotion within its window (§7)",
     .example = "ladderctl --as e013 --roles employee appeal e013 --reason \"on leave\"",
     .command = "appeal",
     .args = {{"ID", "employeeId", A_STR, NULL, 1, NULL}},
     .opts = {REASON}},
    {.name = "decide-appeal", .synopsis = "ID (--overturn|--uphold) --reason R",
     .summary = "Decide an appeal (§7)",
     .example = "ladderctl decide-appeal e013 --overturn --reason \"leave is not inactivity\"",
     .command = "decideAppeal", .check = check_decide_appeal,
     .args = {{"ID", "employeeId", A_STR, NULL, 1, NULL}},
     .opts = {{"overturn", "overturn", A_FLAG, "true", 0, "restore the level"},
              {"uphold", "overturn", A_FLAG, "false", 0, "keep the demotion"},
              REASON}},
    {.name = "clock", .synopsis = "TIME",
     .summary = "Move a --clock manual daemon to TIME: ms since the epoch, +Nd (N days\n"
                "after the daemon's now) or YYYY-MM-DD[THH:MM] in the rules' UTC offset",
     .example = "ladderctl clock +1d\nladderctl clock 2027-01-05T09:00",
     .command = "advanceClock",
     .args = {{"TIME", "toMs", A_TIME, NULL, 1, NULL}}},
    {.name = "employee", .synopsis = "ID",
     .summary = "Level, titles, points, apprentices, deadlines",
     .example = "ladderctl employee e013",
     .query = "employee", .show = ctl_show_employee,
     .args = {{"ID", "employeeId", A_STR, NULL, 1, NULL}}},
    {.name = "ready", .synopsis = "ID",
     .summary = "The §6 checklist toward the next level, with numeric gaps",
     .example = "ladderctl ready e013",
     .query = "readiness", .show = ctl_show_ready,
     .args = {{"ID", "employeeId", A_STR, NULL, 1, NULL}}},
    {.name = "explain", .synopsis = "ID [--as-of SEQ|YYYY-MM-DD[THH:MM]]",
     .summary = "Level changes with their evidence, and the state as it was then (§11);\n"
                "a date is read in the rules' UTC offset",
     .example = "ladderctl explain e013\nladderctl explain e013 --as-of 2026-06-01",
     .query = "explain", .show = ctl_show_explain,
     .args = {{"ID", "employeeId", A_STR, NULL, 1, NULL}},
     .opts = {{"as-of", "asOf", A_ASOF, NULL, 0, "a seq, or a time YYYY-MM-DD[THH:MM]"}}},
    {.name = "board", .synopsis = "[--window W] [--scope S] [--top N] [--around ID]",
     .summary = "A leaderboard (§9): the top N, or around one person",
     .example = "ladderctl board --top 10\nladderctl board --window month --scope centre:north --around e013",
     .query = "board", .show = ctl_show_board,
     .opts = {{"window", "window", A_CHOICE,
               "all=WINDOW_ALL,week=WINDOW_WEEK,month=WINDOW_MONTH,quarter=WINDOW_QUARTER,year=WINDOW_YEAR",
               0, "the period (default all)"},
              {"scope", "scope", A_SCOPE, NULL, 0, "org, centre:NAME, team:NAME or level:N"},
              {"top", "top", A_U32, NULL, 0, "how many from the top"},
              {"around", "around", A_STR, "ID", 0, "an employee and their neighbours"}}},
    {.name = "cases", .synopsis = "LEVEL [CATEGORY] [--history]",
     .summary = "Case ranking of a partition (§4): classicness, stable time, eviction\n"
                "order (1 = next to leave)",
     .example = "ladderctl cases 1 billing\nladderctl cases 2 --history",
     .query = "caseRanking", .show = ctl_show_cases,
     .args = {{"LEVEL", "level", A_U32, NULL, 1, NULL}, {"CATEGORY", "category", A_STR, NULL, 0, NULL}},
     .opts = {{"history", "history", A_FLAG, NULL, 0, "the history library"}}},
    {.name = "kb", .synopsis = "ITEM",
     .summary = "A knowledge-base item with its versions (§4)",
     .example = "ladderctl kb refund-days",
     .query = "kbItem", .show = ctl_show_kb,
     .args = {{"ITEM", "itemId", A_STR, NULL, 1, NULL}}},
    {.name = "pending", .synopsis = "[--reviewer ID]",
     .summary = "What awaits review (KB proposals, case submissions)",
     .example = "ladderctl pending --reviewer mgr-north",
     .query = "pending", .show = ctl_show_pending,
     .opts = {{"reviewer", "reviewerId", A_STR, "ID", 0, "only what this reviewer has not reviewed"}}},
    {.name = "committee", .synopsis = "",
     .summary = "Review committee members and applications (§5)",
     .example = "ladderctl committee",
     .query = "committee", .show = ctl_show_committee},
    {.name = "propose-kb", .synopsis = "PROPOSAL ITEM AUTHOR --text T [--new|--delete]",
     .summary = "A knowledge-base revision, a new item, or the deletion of an item (§4;\n"
                "a deletion passes the same quorum, its text says why)",
     .example = "ladderctl --as e042 --roles employee propose-kb p1 refund-days e042 --text \"3 days\"\n"
                "ladderctl --as e042 --roles employee propose-kb p2 outage e042 --delete --text \"obsolete\"",
     .command = "proposeKb",
     .args = {{"PROPOSAL", "proposalId", A_STR, NULL, 1, NULL},
              {"ITEM", "itemId", A_STR, NULL, 1, NULL},
              {"AUTHOR", "proposerId", A_STR, NULL, 1, NULL}},
     .opts = {{"text", "text", A_STR, "T", 1, "the item's text"},
              {"new", "newItem", A_FLAG, NULL, 0, "a new item rather than a revision"},
              {"delete", "deleteItem", A_FLAG, NULL, 0, "delete the item (§4 v2)"}}},
    {.name = "retire-case", .synopsis = "CASE --reason R",
     .summary = "A chair retires a case to the history library, readable still (§4)",
     .example = "ladderctl --as chair-a --roles chair retire-case L3-roaming-14 --reason \"tariff withdrawn\"",
     .command = "retireCase",
     .args = {{"CASE", "caseId", A_STR, NULL, 1, NULL}},
     .opts = {{"reason", "reason", A_STR, "R", 1, "why (recorded with the event)"}}},
    {.name = "restore-case", .synopsis = "CASE --reason R",
     .summary = "A chair restores a retired case to its partition and half; refused while\n"
                "the partition is at its cap (§4)",
     .example = "ladderctl --as chair-a --roles chair restore-case L3-roaming-14 --reason \"asked again\"",
     .command = "restoreCase",
     .args = {{"CASE", "caseId", A_STR, NULL, 1, NULL}},
     .opts = {{"reason", "reason", A_STR, "R", 1, "why (recorded with the event)"}}},
    {.name = "check-library", .synopsis = "",
     .summary = "The library check (§4): partitions above their cap retire the cases old\n"
                "enough to leave (case.protect_days); ladderd runs it itself when due",
     .example = "ladderctl --as system --roles system check-library",
     .command = "checkLibrary"},
    {.name = "adopt-rules", .synopsis = "JSON",
     .summary = "Adopt a rules document, merged over the rules in force (§10): a key it\n"
                "leaves out keeps its current value",
     .example = "ladderctl adopt-rules '{\"case\":{\"cap\":100}}'",
     .command = "adoptRules",
     .args = {{"JSON", "rulesJson", A_STR, NULL, 1, NULL}}},
    {.name = "rules-in-force", .synopsis = "[VERSION]",
     .summary = "The rules in force (or an adopted VERSION) and every adopted version with\n"
                "its seq (§10)",
     .example = "ladderctl rules-in-force\nladderctl rules-in-force 1",
     .query = "rules", .show = ctl_show_rules,
     .args = {{"VERSION", "version", A_U32, NULL, 0, NULL}}},
    {.name = "review-kb", .synopsis = "PROPOSAL (--approve --amount N | --reject)",
     .summary = "A review of a knowledge-base proposal in the name of --as (§4 P2)",
     .example = "ladderctl --as mgr-a review-kb p1 --approve --amount 3",
     .command = "reviewKb", .self = "reviewerId", .check = check_review_kb,
     .args = {{"PROPOSAL", "proposalId", A_STR, NULL, 1, NULL}},
     .opts = {{"approve", "verdict", A_FLAG, "\"VERDICT_APPROVE\"", 0, "approve"},
              {"reject", "verdict", A_FLAG, "\"VERDICT_REJECT\"", 0, "reject"},
              {"amount", "amount", A_I64, NULL, 0, "points for the proposer (2-5)"}}},
    {.name = "suggest", .synopsis = "SUGGESTION ID --text T",
     .summary = "A rationalization suggestion (§8)",
     .example = "ladderctl --as e042 --roles employee suggest s1 e042 --text \"Fewer menus\"",
     .command = "submitSuggestion",
     .args = {{"SUGGESTION", "suggestionId", A_STR, NULL, 1, NULL},
              {"ID", "employeeId", A_STR, NULL, 1, NULL}},
     .opts = {{"text", "text", A_STR, "T", 1, "the suggestion"}}},
    {.name = "judge", .synopsis = "SUGGESTION VERDICT [--amount N] [--duplicate-of S] [--reason R]",
     .summary = "Judge a suggestion: not-adopted, adopted, feasible or duplicate (§8 P9)",
     .example = "ladderctl judge s1 adopted --amount 40 --reason good",
     .command = "judgeSuggestion",
     .args = {{"SUGGESTION", "suggestionId", A_STR, NULL, 1, NULL},
              {"VERDICT", "verdict", A_CHOICE,
               "not-adopted=SUGGESTION_NOT_ADOPTED,adopted=SUGGESTION_ADOPTED,"
               "feasible=SUGGESTION_ADOPTED_FEASIBLE,duplicate=SUGGESTION_DUPLICATE", 1, NULL}},
     .opts = {{"amount", "amount", A_I64, NULL, 0, "points (adopted 30-100, feasible 60-200)"},
              {"duplicate-of", "duplicateOf", A_STR, "S", 0, "the earlier suggestion"},
              REASON}},
    {.name = "stats", .synopsis = "[--digest]",
     .summary = "Counts, batches, commit latency, head seq, the rules' offset and clock;\n"
                "--digest: a hash of the whole state (compare: verify --digest)",
     .example = "ladderctl stats --digest",
     .query = "stats", .show = ctl_show_stats,
     .opts = {{"digest", "withDigest", A_FLAG, NULL, 0, "the BLAKE2b-256 of the state"}}},
    {.name = "events", .synopsis = "[--from SEQ] [--stream S] [--max N] [--follow]",
     .summary = "The log, one event a line (--json: one JSON object a line)",
     .example = "ladderctl events --from 9600 --max 3\nladderctl events --stream emp/e013 --follow",
     .run = ctl_run_events,
     .opts = {{"from", "fromSeq", A_U64, NULL, 0, "first seq (or stream version with --stream)"},
              {"stream", "stream", A_STR, "S", 0, "one stream, e.g. emp/e013"},
              {"max", "max", A_U32, NULL, 0, "at most N events"},
              {"follow", "follow", A_FLAG, NULL, 0, "wait for more (Ctrl-C ends)"}}},
    {.name = "tail", .synopsis = "[TOPIC...]",
     .summary = "Updates as they come, one readable line each (--json: raw); Clone\n"
                "pattern: a snapshot of level./points. first, then updates after its seq.\n"
                "Without TOPIC: evt., level. and points. (boards: tail board.)",
     .example = "ladderctl tail level. points.e013\nladderctl tail board.week/org",
     .run = ctl_run_tail,
     .args = {{"TOPIC", "topic", A_STR, NULL, 3, NULL}}},
    {.name = "verify", .synopsis = "--data DIR [--digest]",
     .summary = "Offline: walk the hash chain, report the first bad seq; --digest: the\n"
                "state hash of a fresh fold (compare with stats --digest)",
     .example = "ladderctl verify --data /var/lib/ladder --digest",
     .offline = 1, .run = ctl_run_verify,
     .opts = {{"data", "data", A_STR, "DIR", 1, "a data directory (or a copy of one)"},
              {"digest", "digest", A_FLAG, NULL, 0, "also fold the log and hash the state"}}},
    {.name = "audit", .synopsis = "--data DIR",
     .summary = "Offline: re-derive every derived event from its fact under the rules\n"
                "then in force; report discrepancies (§11)",
     .example = "ladderctl audit --data /var/lib/ladder",
     .offline = 1, .run = ctl_run_audit,
     .opts = {{"data", "data", A_STR, "DIR", 1, "a data directory (or a copy of one)"}}},
    {.name = "what-if", .synopsis = "RULES.json [--data DIR] [--from DATE|SEQ] [--to DATE|SEQ] [--csv]",
     .summary = "Offline (§10): what a proposed rules document would have decided. Folds\n"
                "the log up to --from under the rules in force, adopts RULES.json there\n"
                "(merged over them), decides every later fact again: facts stay facts,\n"
                "promotions, year closes, demotions, points and retirements are derived\n"
                "again. Lists each employee whose outcome differs (decision, date, seq,\n"
                "rule), totals actual vs what-if, and the facts the proposal refuses, by\n"
                "§. Reads only. With --data: offline, on a data directory (opened\n"
                "read-only); without: ladderd runs it on its thread pool from the nearest\n"
                "snapshot (managers, chairs and auditors). --json: the WhatIfReport\n"
                "message; --csv: one row per differing decision, for spreadsheets",
     .example = "ladderctl what-if proposal.json --data /var/lib/ladder --from 2026-01-01\n"
                "echo '{\"retention\":{\"points\":400}}' | ladderctl what-if - --data copy --csv\n"
                "ladderctl --as hr-lead --roles manager what-if proposal.json --from 2026-01-01",
     .offline = 1, .run = ctl_run_whatif,
     .args = {{"RULES.json", "rules", A_STR, NULL, 1, NULL}},
     .opts = {{"data", "data", A_STR, "DIR", 0, "offline, on a data directory (or a copy of one)"},
              {"from", "from", A_STR, "DATE|SEQ", 0,
               "adopt before this seq, or this date YYYY-MM-DD[THH:MM] in the rules' offset"},
              {"to", "to", A_STR, "DATE|SEQ", 0, "stop after this seq, or before this date"},
              {"csv", "csv", A_FLAG, NULL, 0, "one CSV row per differing decision"}}},
    {.name = "backup", .synopsis = "--data DIR --to FILE",
     .summary = "A consistent, compacted copy of a data directory, safe while ladderd\n"
                "runs (LMDB mdb_env_copy2); the copy's chain is verified. Offline, the\n"
                "acknowledged records of DIR/wal not yet in LMDB are applied to the copy",
     .example = "ladderctl backup --data /var/lib/ladder --to /backup/ladder-$(date +%F).mdb",
     .offline = 1, .run = ctl_run_backup,
     .opts = {{"data", "data", A_STR, "DIR", 1, "ladderd's data directory"},
              {"to", "to", A_STR, "FILE", 1, "the backup file (must not exist)"}}},
    {.name = "restore", .synopsis = "--from FILE --data DIR",
     .summary = "A backup into an empty data directory, its chain verified first",
     .example = "ladderctl restore --from /backup/ladder-2026-11-28.mdb --data /var/lib/ladder",
     .offline = 1, .run = ctl_run_restore,
     .opts = {{"from", "from", A_STR, "FILE", 1, "a file written by backup"},
              {"data", "data", A_STR, "DIR", 1, "the data directory (absent or empty)"}}},
    {.name = "demo", .synopsis = "[--employees N] [--seed S]",
     .summary = "Load a realistic organisation through the protocol into an empty ladderd\n"
                "(months of history need ladderd --clock manual)",
     .example = "ladderctl demo --employees 240 --seed 7",
     .run = ctl_run_demo,
     .opts = {{"employees", "employees", A_U32, NULL, 0, "how many (40-100000, default 240)"},
              {"seed", "seed", A_U64, NULL, 0, "the generator's seed (default 0)"}}},
    {.name = "rules", .synopsis = "",
     .summary = "Offline: the built-in rules document with every key at its default, as\n"
                "JSON: the starting point of a file for ladderd --rules (keys: ladderd(8))",
     .example = "ladderctl rules >/etc/ladder/rules.json",
     .offline = 1, .run = ctl_run_rules},
    {.name = "keygen", .synopsis = "NAME [--dir DIR]",
     .summary = "Offline: a CURVE key pair, NAME.key (secret, 0600) and NAME.pub",
     .example = "ladderctl keygen alice --dir /etc/ladder/keys",
     .offline = 1, .run = ctl_run_keygen,
     .args = {{"NAME", "name", A_STR, NULL, 1, NULL}},
     .opts = {{"dir", "dir", A_STR, "DIR", 0, "where to write them (default .)"}}},
    {.name = "help", .synopsis = "[COMMAND]",
     .summary = "The overview, or a command's options and example",
     .example = "ladderctl help board",
     .offline = 1, .run = ctl_run_help,
     .args = {{"COMMAND", "topic", A_STR, NULL, 3, NULL}},
     .opts = {{"scdoc", "scdoc", A_FLAG, NULL, 0, "every command in scdoc (for the man page)"}}},
};

const size_t ctl_nrows = sizeof ctl_rows / sizeof *ctl_rows;
