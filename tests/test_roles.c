/* test_roles.c — the authorization matrix (§1, the Reliability issue): every
 * command sent by every role, acting on someone else; it is refused with
 * ERR_FORBIDDEN exactly when the table below says the role may not send it.
 * Then the commands an employee may send for themselves. */
#include "commands.h"
#include "facts.h"
#include "core_fixture.h"

#define M LADDER__V1__ROLE__ROLE_MANAGER
#define RV LADDER__V1__ROLE__ROLE_REVIEWER
#define CH LADDER__V1__ROLE__ROLE_CHAIR
#define SY LADDER__V1__ROLE__ROLE_SYSTEM
#define EM LADDER__V1__ROLE__ROLE_EMPLOYEE
#define AU LADDER__V1__ROLE__ROLE_AUDITOR
#define SV LADDER__V1__ROLE__ROLE_SERVICE
#define CMD(x) LADDER__V1__COMMAND__CMD_##x

/* Which roles may send each command about another person, and whether an
 * employee may also send it for themselves, is the core's command table
 * (projections/commands.c): this test reads it and checks every row against
 * real commands. Auditors and services send no command. §1 v2: the reviewer
 * role grants nothing by itself — reviews need a committee membership the
 * log shows (test_s1_reviewer_is_a_fact_not_a_claim), or the manager or
 * chair role. */
static bool row_self(const ld_command_t *row)
{
    return row->self == LD_SELF_FIELD || row->self == LD_SELF_LIST;
}

/* A command of the given case about `who`, sent in the name of `by`. */
static Ladder__V1__Command *make(int cmd, const char *who, const char *by)
{
    static Ladder__V1__Command c;
    static union {
        Ladder__V1__Hire hire; Ladder__V1__Leave leave; Ladder__V1__AdoptRules rules;
        Ladder__V1__PublishTask pt; Ladder__V1__CompleteTask ct; Ladder__V1__ProposeKb pk;
        Ladder__V1__ReviewKb rk; Ladder__V1__SubmitCase sc; Ladder__V1__ReviseCase rc;
        Ladder__V1__ReviewCase rv; Ladder__V1__StudyCase st; Ladder__V1__RateCase ra;
        Ladder__V1__ApplyQuality aq; Ladder__V1__AwardQuality aw; Ladder__V1__ApplyCommittee ac;
        Ladder__V1__DecideCommittee dc; Ladder__V1__RemoveCommittee rm;
        Ladder__V1__StartApprenticeship sa; Ladder__V1__EndApprenticeship ea;
        Ladder__V1__RecordQueryTest qt; Ladder__V1__DrawExam dx; Ladder__V1__GradeExam gx;
        Ladder__V1__CloseRetentionYear cy; Ladder__V1__Appeal ap; Ladder__V1__DecideAppeal da;
        Ladder__V1__ExpireAppeal xa; Ladder__V1__SubmitSuggestion ss;
        Ladder__V1__JudgeSuggestion js; Ladder__V1__PublishQc pq; Ladder__V1__ClaimQc cq;
        Ladder__V1__CompleteQc dq; Ladder__V1__ReportVolunteer vr; Ladder__V1__AdjustPoints adj;
        Ladder__V1__AwardMedal md; Ladder__V1__AdvanceClock ck; Ladder__V1__RetireCase rt;
        Ladder__V1__RestoreCase rs; Ladder__V1__CheckLibrary cl;
        Ladder__V1__PlaceEmployee pe; Ladder__V1__ConfirmApprenticeship cf;
        Ladder__V1__ExpireExam xe; Ladder__V1__ExtendRetentionWindow er; Ladder__V1__ReverseFact rf;
    } u;
    static Ladder__V1__CaseNode root = LADDER__V1__CASE_NODE__INIT;
    static Ladder__V1__CaseContent ct = LADDER__V1__CASE_CONTENT__INIT;
    static Ladder__V1__VolunteerEntry ve = LADDER__V1__VOLUNTEER_ENTRY__INIT;
    static Ladder__V1__VolunteerEntry *vp[1] = {&ve};
    static char *members[3];
    static uint32_t scores[10] = {90, 90, 90, 90, 90, 90, 90, 90, 90, 90};
    root.customer_says = "Why?";
    ct.kind = LADDER__V1__CASE_KIND__CASE_KIND_TEXT, ct.title = "T", ct.root = &root;
    ladder__v1__command__init(&c);
    c.cmd_case = (Ladder__V1__Command__CmdCase)cmd;
    memset(&u, 0, sizeof u);
    char *w = (char *)who;
    switch (cmd) {
    case CMD(HIRE): ladder__v1__hire__init(&u.hire); u.hire.employee_id = "new1"; u.hire.name = "N"; c.hire = &u.hire; break;
    case CMD(LEAVE): ladder__v1__leave__init(&u.leave); u.leave.employee_id = w; c.leave = &u.leave; break;
    case CMD(ADOPT_RULES): ladder__v1__adopt_rules__init(&u.rules); u.rules.rules_json = "{}"; c.adopt_rules = &u.rules; break;
    case CMD(PUBLISH_TASK): ladder__v1__publish_task__init(&u.pt); u.pt.task_id = "tk"; u.pt.title = "T"; u.pt.points = 5; c.publish_task = &u.pt; break;
    case CMD(COMPLETE_TASK): ladder__v1__complete_task__init(&u.ct); u.ct.employee_id = w; u.ct.task_id = "level-0"; c.complete_task = &u.ct; break;
    case CMD(PROPOSE_KB): ladder__v1__propose_kb__init(&u.pk); u.pk.proposal_id = "kp2"; u.pk.item_id = "ki"; u.pk.proposer_id = w; u.pk.text = "x"; c.propose_kb = &u.pk; break;
    case CMD(REVIEW_KB): ladder__v1__review_kb__init(&u.rk); u.rk.proposal_id = "kp"; u.rk.reviewer_id = (char *)by; u.rk.verdict = LADDER__V1__VERDICT__VERDICT_REJECT; c.review_kb = &u.rk; break;
    case CMD(SUBMIT_CASE): ladder__v1__submit_case__init(&u.sc); u.sc.submission_id = "s9"; u.sc.case_id = "k9"; u.sc.author_id = w; u.sc.content = &ct; c.submit_case = &u.sc; break;
    case CMD(REVISE_CASE): ladder__v1__revise_case__init(&u.rc); u.rc.submission_id = "s8"; u.rc.case_id = "k"; u.rc.author_id = w; u.rc.content = &ct; c.revise_case = &u.rc; break;
    case CMD(REVIEW_CASE): ladder__v1__review_case__init(&u.rv); u.rv.submission_id = "s2"; u.rv.reviewer_id = (char *)by; u.rv.verdict = LADDER__V1__VERDICT__VERDICT_REJECT; c.review_case = &u.rv; break;
    case CMD(STUDY_CASE): ladder__v1__study_case__init(&u.st); u.st.employee_id = w; u.st.case_id = "k"; c.study_case = &u.st; break;
    case CMD(RATE_CASE): ladder__v1__rate_case__init(&u.ra); u.ra.employee_id = w; u.ra.case_id = "k"; u.ra.rating = LADDER__V1__RATING__RATING_AVERAGE; c.rate_case = &u.ra; break;
    case CMD(APPLY_QUALITY): ladder__v1__apply_quality__init(&u.aq); members[0] = w; u.aq.case_id = "k"; u.aq.n_contributor_ids = 1; u.aq.contributor_ids = members; c.apply_quality = &u.aq; break;
    case CMD(AWARD_QUALITY): ladder__v1__award_quality__init(&u.aw); u.aw.case_id = "k2"; u.aw.approve = 0; c.award_quality = &u.aw; break;
    case CMD(APPLY_COMMITTEE): ladder__v1__apply_committee__init(&u.ac); u.ac.employee_id = w; c.apply_committee = &u.ac; break;
    case CMD(DECIDE_COMMITTEE): ladder__v1__decide_committee__init(&u.dc); u.dc.employee_id = w; u.dc.reason = "r"; c.decide_committee = &u.dc; break;
    case CMD(REMOVE_COMMITTEE): ladder__v1__remove_committee__init(&u.rm); u.rm.employee_id = w; u.rm.reason = "r"; c.remove_committee = &u.rm; break;
    case CMD(START_APPRENTICESHIP): ladder__v1__start_apprenticeship__init(&u.sa); u.sa.mentor_id = w; u.sa.apprentice_id = "z"; c.start_apprenticeship = &u.sa; break;
    case CMD(END_APPRENTICESHIP): ladder__v1__end_apprenticeship__init(&u.ea); u.ea.mentor_id = w; u.ea.apprentice_id = "z"; c.end_apprenticeship = &u.ea; break;
    case CMD(RECORD_QUERY_TEST): ladder__v1__record_query_test__init(&u.qt); u.qt.employee_id = w; u.qt.total_ms = 100000; c.record_query_test = &u.qt; break;
    case CMD(DRAW_EXAM): ladder__v1__draw_exam__init(&u.dx); u.dx.exam_id = "x9"; u.dx.employee_id = w; u.dx.seed = 3; c.draw_exam = &u.dx; break;
    case CMD(GRADE_EXAM): ladder__v1__grade_exam__init(&u.gx); u.gx.exam_id = "none"; u.gx.n_scores = 10; u.gx.scores = scores; c.grade_exam = &u.gx; break;
    case CMD(CLOSE_RETENTION_YEAR): ladder__v1__close_retention_year__init(&u.cy); u.cy.employee_id = w; c.close_retention_year = &u.cy; break;
    case CMD(APPEAL): ladder__v1__appeal__init(&u.ap); u.ap.employee_id = w; u.ap.reason = "r"; c.appeal = &u.ap; break;
    case CMD(DECIDE_APPEAL): ladder__v1__decide_appeal__init(&u.da); u.da.employee_id = w; u.da.reason = "r"; c.decide_appeal = &u.da; break;
    case CMD(EXPIRE_APPEAL): ladder__v1__expire_appeal__init(&u.xa); u.xa.employee_id = w; c.expire_appeal = &u.xa; break;
    case CMD(SUBMIT_SUGGESTION): ladder__v1__submit_suggestion__init(&u.ss); u.ss.suggestion_id = "sg2"; u.ss.employee_id = w; u.ss.text = "x"; c.submit_suggestion = &u.ss; break;
    case CMD(JUDGE_SUGGESTION): ladder__v1__judge_suggestion__init(&u.js); u.js.suggestion_id = "sg"; u.js.verdict = LADDER__V1__SUGGESTION_VERDICT__SUGGESTION_NOT_ADOPTED; c.judge_suggestion = &u.js; break;
    case CMD(PUBLISH_QC): ladder__v1__publish_qc__init(&u.pq); u.pq.project_id = "q2"; u.pq.topic = "t"; u.pq.points = 5; c.publish_qc = &u.pq; break;
    case CMD(CLAIM_QC): ladder__v1__claim_qc__init(&u.cq); members[0] = w, members[1] = "z", members[2] = "y"; u.cq.project_id = "q"; u.cq.group_id = "g2"; u.cq.n_member_ids = 3; u.cq.member_ids = members; c.claim_qc = &u.cq; break;
    case CMD(COMPLETE_QC): ladder__v1__complete_qc__init(&u.dq); u.dq.project_id = "q"; u.dq.group_id = "none"; c.complete_qc = &u.dq; break;
    case CMD(REPORT_VOLUNTEER): ladder__v1__report_volunteer__init(&u.vr); ve.employee_id = w; ve.hours = 2; u.vr.report_id = "w1"; u.vr.n_entries = 1; u.vr.entries = vp; c.report_volunteer = &u.vr; break;
    case CMD(ADJUST_POINTS): ladder__v1__adjust_points__init(&u.adj); u.adj.employee_id = w; u.adj.amount = 5; u.adj.reason = "r"; c.adjust_points = &u.adj; break;
    case CMD(AWARD_MEDAL): ladder__v1__award_medal__init(&u.md); u.md.employee_id = w; u.md.medal = "m"; u.md.reason = "r"; c.award_medal = &u.md; break;
    case CMD(ADVANCE_CLOCK): ladder__v1__advance_clock__init(&u.ck); u.ck.to_ms = T0 + DAY; c.advance_clock = &u.ck; break;
    case CMD(PLACE_EMPLOYEE): ladder__v1__place_employee__init(&u.pe); u.pe.employee_id = w; u.pe.level = 2; u.pe.reason = "r"; c.place_employee = &u.pe; break;
    case CMD(CONFIRM_APPRENTICESHIP): ladder__v1__confirm_apprenticeship__init(&u.cf); u.cf.mentor_id = "z"; u.cf.apprentice_id = w; c.confirm_apprenticeship = &u.cf; break;
    case CMD(EXPIRE_EXAM): ladder__v1__expire_exam__init(&u.xe); u.xe.employee_id = w; c.expire_exam = &u.xe; break;
    case CMD(EXTEND_RETENTION_WINDOW): ladder__v1__extend_retention_window__init(&u.er); u.er.employee_id = w; u.er.days = 5; u.er.reason = "r"; c.extend_retention_window = &u.er; break;
    case CMD(REVERSE_FACT): ladder__v1__reverse_fact__init(&u.rf); u.rf.seq = 1; u.rf.reason = "r"; c.reverse_fact = &u.rf; break;
    case CMD(RETIRE_CASE): ladder__v1__retire_case__init(&u.rt); u.rt.case_id = "k"; u.rt.reason = "outdated tariff"; c.retire_case = &u.rt; break;
    case CMD(RESTORE_CASE): ladder__v1__restore_case__init(&u.rs); u.rs.case_id = "k"; u.rs.reason = "tariff is back"; c.restore_case = &u.rs; break;
    case CMD(CHECK_LIBRARY): ladder__v1__check_library__init(&u.cl); c.check_library = &u.cl; break;
    }
    /* the oneof member pointer shares storage with every other member */
    c.hire = &u.hire;
    return &c;
}

static int setup(void **s)
{
    (void)s;
    fx_setup();
    const char *ids[] = {"t", "a", "z", "y", "author"};
    for (size_t i = 0; i < sizeof ids / sizeof *ids; i++)
        hire(ids[i]);
    submit_case("s1", "k", "author");
    review_case("s1", "m1", 1, 20, 1, "x"), review_case("s1", "m2", 1, 20, 1, "x");
    review_case("s1", "m3", 1, 20, 1, "x");
    submit_case("s2", "k2", "author");
    fx_ok();
    Ladder__V1__PublishQc pq = LADDER__V1__PUBLISH_QC__INIT;
    pq.project_id = "q", pq.topic = "Hold times", pq.points = 10;
    Ladder__V1__Command c = LADDER__V1__COMMAND__INIT;
    c.cmd_case = LADDER__V1__COMMAND__CMD_PUBLISH_QC;
    c.publish_qc = &pq;
    fx_run(&c, "boss", MANAGER);
    fx_ok();
    return 0;
}
static int teardown(void **s) { (void)s; fx_teardown(); return 0; }

static bool in(const Ladder__V1__Event__BodyCase *list, size_t n, int body)
{
    for (size_t i = 0; i < n && list[i]; i++)
        if ((int)list[i] == body)
            return true;
    return false;
}

/* Every event an accepted command yields is one its row lists: a fact of
 * the row first, then facts or causes, each in a stream the row names. */
static void check_events(const ld_command_t *row)
{
    size_t n = ld_out_count(F.out);
    Ladder__V1__Event **ev = ld_out_events(F.out);
    assert_true(n >= 1);
    for (size_t i = 0; i < n; i++) {
        int body = (int)ev[i]->body_case;
        bool fact = in(row->facts, LD_COMMAND_FACTS, body);
        if (i == 0 ? !fact || ev[i]->cause_seq : !fact && !in(row->causes, LD_COMMAND_CAUSES, body))
            fail_msg("%s yields %s (event %zu), not in its row", row->name,
                     ld_core_event_kind(body)->name, i);
        char kind[32];
        snprintf(kind, sizeof kind, "%.*s", (int)strcspn(ev[i]->stream, "/"), ev[i]->stream);
        const char *at = strstr(row->streams, kind);
        size_t kl = strlen(kind);
        if (!at || (at != row->streams && at[-1] != ' ') || (at[kl] && at[kl] != ' '))
            fail_msg("%s writes to stream %s, not in its row (%s)", row->name, ev[i]->stream,
                     row->streams);
    }
}

/* Sends the row's command about `who` as `by` with these roles; true when it
 * is refused as forbidden. An accepted one is checked against its row. */
static bool forbidden(const ld_command_t *row, const char *who, const char *by, uint32_t roles,
                      int *accepted)
{
    Ladder__V1__Command *c = make((int)row->cmd, who, by);
    ld_ctx_t ctx = {F.now, by, roles, (const uint8_t *)"m", 1};
    ld_refusal_t why;
    ld_out_reset(F.out);
    uint32_t mark = ld_core_savepoint(F.c);
    int rc = ld_core_execute(F.c, c, &ctx, F.out, &why);
    if (rc == 0) {
        check_events(row);
        (*accepted)++;
    }
    ld_core_rollback(F.c, mark);
    ld_core_release(F.c);
    return rc != 0 && why.code == LADDER__V1__ERROR_CODE__ERR_FORBIDDEN;
}

static void test_every_command_as_every_role(void **s)
{
    (void)s;
    static const uint32_t roles[] = {EM, RV, M, SY, AU, SV, CH};
    static const char *const names[] = {"employee", "reviewer", "manager", "system", "auditor",
                                        "service", "chair"};
    size_t n;
    const ld_command_t *table = ld_core_command_table(&n);
    int checked = 0, accepted = 0;
    for (size_t i = 0; i < n; i++) {
        for (size_t r = 0; r < sizeof roles / sizeof *roles; r++) {
            bool allowed = (table[i].roles & roles[r]) != 0;
            bool f = forbidden(&table[i], "t", "a", roles[r], &accepted);
            if (f == allowed)
                fail_msg("%s sent by a %s about another: %s, expected %s", table[i].name, names[r],
                         f ? "forbidden" : "allowed", allowed ? "allowed" : "forbidden");
            checked++;
        }
        /* an employee acting for themselves */
        bool f = forbidden(&table[i], "a", "a", EM, &accepted);
        if (f == row_self(&table[i]))
            fail_msg("%s sent by an employee for themselves: %s", table[i].name,
                     f ? "forbidden" : "allowed");
        checked++;
    }
    print_message("%d (command, role) pairs checked over %zu commands, %d accepted and their "
                  "events checked against the row\n", checked, n, accepted);
    assert_int_equal(n, 43);
    assert_true(accepted >= 20); /* 27 today: the rest are refused by their § rules after the sender check */
}

/* The table has a row for every Command oneof case and a kind for every
 * Event body case, each found by its case; a command's effects are those
 * of the events it lists; each fact belongs to one command, the one the
 * audit rebuilds from it (facts.c). */
static void test_table_covers_every_case_and_agrees_with_itself(void **s)
{
    (void)s;
    const ProtobufCMessageDescriptor *cd = &ladder__v1__command__descriptor;
    size_t n, nk;
    const ld_command_t *table = ld_core_command_table(&n);
    const ld_event_kind_t *kinds = ld_core_event_kinds(&nk);
    size_t oneof = 0;
    for (unsigned i = 0; i < cd->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &cd->fields[i];
        if (!(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF))
            continue;
        oneof++;
        const ld_command_t *row = ld_core_command((int)f->id);
        if (!row)
            fail_msg("no row for command %s", f->name);
        assert_string_equal(row->name, f->name);
    }
    assert_int_equal(oneof, n);
    assert_null(ld_core_command(0));
    const ProtobufCMessageDescriptor *ed = &ladder__v1__event__descriptor;
    size_t bodies = 0;
    for (unsigned i = 0; i < ed->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &ed->fields[i];
        if (!(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF))
            continue;
        bodies++;
        const ld_event_kind_t *k = ld_core_event_kind((int)f->id);
        if (!k)
            fail_msg("no kind for event %s", f->name);
        assert_string_equal(k->name, f->name);
    }
    assert_int_equal(bodies, nk);
    for (size_t i = 0; i < nk; i++) {
        const ld_command_t *owner = ld_core_command_of_fact((int)kinds[i].body);
        size_t owners = 0;
        for (size_t r = 0; r < n; r++)
            owners += in(table[r].facts, LD_COMMAND_FACTS, (int)kinds[i].body);
        assert_true(owners <= 1);
        assert_true((owner != NULL) == (owners == 1));
    }
    for (size_t r = 0; r < n; r++) {
        const ld_command_t *row = &table[r];
        uint32_t eff = 0;
        assert_non_null(row->facts[0]);
        for (size_t k = 0; k < LD_COMMAND_FACTS && row->facts[k]; k++)
            eff |= ld_core_event_kind((int)row->facts[k])->effects;
        for (size_t k = 0; k < LD_COMMAND_CAUSES && row->causes[k]; k++)
            eff |= ld_core_event_kind((int)row->causes[k])->effects;
        if (eff != row->effects)
            fail_msg("%s: effects %#x in its row, %#x from its events", row->name, row->effects, eff);
        /* the audit rebuilds this command from its fact */
        for (size_t k = 0; k < LD_COMMAND_FACTS && row->facts[k]; k++) {
            const ProtobufCFieldDescriptor *bf =
                protobuf_c_message_descriptor_get_field(ed, (unsigned)row->facts[k]);
            const ProtobufCMessageDescriptor *md = bf->descriptor;
            void *body = calloc(1, md->sizeof_message);
            protobuf_c_message_init(md, body);
            Ladder__V1__Event ev = LADDER__V1__EVENT__INIT;
            ev.body_case = row->facts[k];
            ev.employee_hired = body; /* every member of the oneof shares one pointer */
            Ladder__V1__Command cmd;
            ld_fact_store_t store;
            assert_int_equal(ld_fact_command(&ev, &cmd, &store), 1);
            assert_int_equal(cmd.cmd_case, row->cmd);
            free(body);
        }
    }
}

/* Reviews a KB proposal as `who` with these roles; returns the refusal code (0: accepted). */
static int review_as(const char *prop, const char *who, uint32_t roles)
{
    Ladder__V1__ReviewKb m = LADDER__V1__REVIEW_KB__INIT;
    m.proposal_id = (char *)prop, m.reviewer_id = (char *)who;
    m.verdict = LADDER__V1__VERDICT__VERDICT_REJECT;
    Ladder__V1__Command c = LADDER__V1__COMMAND__INIT;
    c.cmd_case = LADDER__V1__COMMAND__CMD_REVIEW_KB;
    c.review_kb = &m;
    fx_run(&c, who, roles);
    return F.rc ? F.why.code : 0;
}

/* Given: a committee fact (admitted / removed) in the log. */
static void given_committee(const char *who, int body)
{
    Ladder__V1__CommitteeAdmitted a = LADDER__V1__COMMITTEE_ADMITTED__INIT;
    Ladder__V1__CommitteeRemoved r = LADDER__V1__COMMITTEE_REMOVED__INIT;
    a.employee_id = r.employee_id = (char *)who;
    a.reason = r.reason = "given";
    Ladder__V1__Event ev = LADDER__V1__EVENT__INIT;
    ev.seq = ld_core_next_seq(F.c), ev.stream = "emp", ev.at_ms = F.now;
    ev.body_case = (Ladder__V1__Event__BodyCase)body;
    if (body == LADDER__V1__EVENT__BODY_COMMITTEE_ADMITTED)
        ev.committee_admitted = &a;
    else
        ev.committee_removed = &r;
    assert_int_equal(ld_core_evolve(F.c, &ev), 0);
}

/* §1 v2 (fault 6): a never-admitted employee and a removed member who claim the
 * reviewer role are refused and earn no P6; an admitted member reviews with the
 * employee role alone; a manager and a chair review by their role. */
static void test_s1_reviewer_is_a_fact_not_a_claim(void **s)
{
    (void)s;
    Ladder__V1__ProposeKb pk = LADDER__V1__PROPOSE_KB__INIT;
    pk.proposal_id = "kp", pk.item_id = "ki", pk.proposer_id = "author", pk.text = "x";
    pk.new_item = 1;
    Ladder__V1__Command c = LADDER__V1__COMMAND__INIT;
    c.cmd_case = LADDER__V1__COMMAND__CMD_PROPOSE_KB;
    c.propose_kb = &pk;
    fx_run(&c, "author", EM);
    fx_ok();
    /* never admitted, claims the reviewer role */
    assert_int_equal(review_as("kp", "t", EM | RV), LADDER__V1__ERROR_CODE__ERR_FORBIDDEN);
    assert_non_null(strstr(F.why.message, "counts for nothing"));
    assert_int_equal(emp("t")->points_total, 0);
    /* admitted, then removed: reviews while a member, not after */
    given_committee("a", LADDER__V1__EVENT__BODY_COMMITTEE_ADMITTED);
    assert_int_equal(review_as("kp", "a", EM), 0);
    assert_int_equal(emp("a")->points_total, 5); /* P6 */
    given_committee("a", LADDER__V1__EVENT__BODY_COMMITTEE_REMOVED);
    pk.proposal_id = "kp2", pk.item_id = "ki2";
    fx_run(&c, "author", EM);
    fx_ok();
    assert_int_equal(review_as("kp2", "a", EM | RV), LADDER__V1__ERROR_CODE__ERR_FORBIDDEN);
    assert_int_equal(emp("a")->points_total, 5);
    /* managers and chairs review by their role */
    assert_int_equal(review_as("kp2", "boss2", M), 0);
    assert_int_equal(review_as("kp2", "chair1", CH), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_every_command_as_every_role, setup, teardown),
        cmocka_unit_test(test_table_covers_every_case_and_agrees_with_itself),
        cmocka_unit_test_setup_teardown(test_s1_reviewer_is_a_fact_not_a_claim, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
