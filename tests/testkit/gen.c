/* gen.c — the seeded command generator of the test kit (gen.h). */
#include "gen.h"

#include <stdio.h>
#include <string.h>

static uint64_t gen_next(ld_gen_t *g)
{
    g->s ^= g->s << 13;
    g->s ^= g->s >> 7;
    g->s ^= g->s << 17;
    return g->s;
}

static uint32_t gen_below(ld_gen_t *g, uint32_t n)
{
    return (uint32_t)(gen_next(g) % n);
}

void ld_gen_init(ld_gen_t *g, uint64_t seed, uint32_t emps, int64_t t0)
{
    memset(g, 0, sizeof *g);
    g->s = seed * 2654435761u + 88172645463325252ull;
    g->now = t0;
    g->emps = emps;
    g->cases = 14;
    g->hi = emps;
}

static char *gen_emp(ld_gen_t *g, int slot)
{
    uint32_t e = g->churn ? g->lo + gen_below(g, g->hi - g->lo) : gen_below(g, g->emps);
    snprintf(g->buf[slot], sizeof g->buf[slot], "e%u", e);
    return g->buf[slot];
}

/* Case ids of the given events the tests seed the library with. */
static char *gen_case(ld_gen_t *g, int slot)
{
    snprintf(g->buf[slot], sizeof g->buf[slot], "c%u-%u-%u", 1 + gen_below(g, 5),
             1 + gen_below(g, 2), gen_below(g, g->cases));
    return g->buf[slot];
}

/* Advances time by 0 to 2 days (churn: see gen.h). */
Ladder__V1__Command *ld_gen_command(ld_gen_t *g)
{
    const uint32_t MGR = LADDER__V1__ROLE__ROLE_MANAGER, EMP = LADDER__V1__ROLE__ROLE_EMPLOYEE;
    if (g->churn) /* 3 s on average for 100 000 people: a day has 0.3 commands each */
        g->now += (int64_t)gen_below(g, (uint32_t)(600000000ull / (g->emps ? g->emps : 1)) + 1);
    else
        g->now += (int64_t)gen_below(g, 2 * 86400) * 1000;
    ladder__v1__command__init(&g->cmd);
    g->principal = "boss";
    g->roles = MGR;
    if (g->churn) {
        /* per 10 000 commands: 30 join, 30 leave (a third of the staff a year
         * at 100 000 people), 5 cases submitted, 20 reviews, 20 volunteer
         * reports (about one per team a week) */
        uint32_t k = gen_below(g, 10000);
        if (k < 30) {
            ladder__v1__hire__init(&g->m.hire);
            snprintf(g->buf[0], 48, "e%u", g->hi);
            snprintf(g->buf[1], 48, "team%u", g->hi % 500);
            snprintf(g->buf[2], 48, "centre%u", g->hi % 7);
            g->hi++;
            g->m.hire.employee_id = g->buf[0];
            g->m.hire.name = "Li Wei";
            g->m.hire.team = g->buf[1];
            g->m.hire.centre = g->buf[2];
            g->cmd.cmd_case = LADDER__V1__COMMAND__CMD_HIRE;
            g->cmd.hire = &g->m.hire;
            return &g->cmd;
        }
        if (k < 60 && g->hi - g->lo > 1) {
            ladder__v1__leave__init(&g->m.leave);
            snprintf(g->buf[0], 48, "e%u", g->lo++);
            g->m.leave.employee_id = g->buf[0];
            g->m.leave.reason = "moved";
            g->cmd.cmd_case = LADDER__V1__COMMAND__CMD_LEAVE;
            g->cmd.leave = &g->m.leave;
            return &g->cmd;
        }
        if (k >= 60 && k < 65) {
            ladder__v1__submit_case__init(&g->m.submit);
            ladder__v1__case_node__init(&g->node);
            ladder__v1__case_content__init(&g->content);
            g->node.customer_says = "Why was I charged twice?";
            g->content.kind = LADDER__V1__CASE_KIND__CASE_KIND_TEXT;
            g->content.title = "Double charge";
            g->content.root = &g->node;
            g->sub_no++;
            snprintf(g->buf[0], 48, "s%u", g->sub_no);
            snprintf(g->buf[1], 48, "n%u", g->sub_no);
            g->m.submit.submission_id = g->buf[0];
            g->m.submit.case_id = g->buf[1];
            g->m.submit.author_id = gen_emp(g, 2);
            g->m.submit.content = &g->content;
            g->cmd.cmd_case = LADDER__V1__COMMAND__CMD_SUBMIT_CASE;
            g->cmd.submit_case = &g->m.submit;
            g->principal = g->m.submit.author_id;
            g->roles = EMP;
            return &g->cmd;
        }
        if (k >= 65 && k < 85 && g->sub_no) {
            ladder__v1__review_case__init(&g->m.review);
            snprintf(g->buf[0], 48, "s%u", g->sub_no - gen_below(g, g->sub_no < 4 ? g->sub_no : 4));
            g->m.review.submission_id = g->buf[0];
            g->m.review.reviewer_id = gen_emp(g, 1);
            g->m.review.verdict = gen_below(g, 5) ? LADDER__V1__VERDICT__VERDICT_APPROVE
                                                  : LADDER__V1__VERDICT__VERDICT_REJECT;
            g->m.review.amount = 18 + gen_below(g, 34);
            g->m.review.level = 1 + gen_below(g, 5);
            g->m.review.category = gen_below(g, 2) ? "billing" : "network";
            g->cmd.cmd_case = LADDER__V1__COMMAND__CMD_REVIEW_CASE;
            g->cmd.review_case = &g->m.review;
            g->principal = g->m.review.reviewer_id;
            return &g->cmd;
        }
        if (k >= 85 && k < 105) {
            ladder__v1__report_volunteer__init(&g->m.vol);
            snprintf(g->buf[0], 48, "w%u", ++g->vol_no);
            g->m.vol.report_id = g->buf[0];
            for (int j = 0; j < 3; j++) {
                ladder__v1__volunteer_entry__init(&g->ve[j]);
                g->ve[j].employee_id = gen_emp(g, 1 + j);
                g->ve[j].hours = gen_below(g, 12);
                g->vep[j] = &g->ve[j];
            }
            g->m.vol.n_entries = 3;
            g->m.vol.entries = g->vep;
            g->cmd.cmd_case = LADDER__V1__COMMAND__CMD_REPORT_VOLUNTEER;
            g->cmd.report_volunteer = &g->m.vol;
            return &g->cmd;
        }
    }
    uint32_t r = gen_below(g, g->realistic ? 1000 : 1350);
    if (g->realistic) {
        /* weights per mille of a working day: points, studies, ratings dominate */
        static const uint32_t w[][2] = {
            {300, 150}, {100, 300}, {80, 400}, {20, 500}, {10, 530}, {250, 600}, {100, 660},
            {20, 700}, {20, 800}, {20, 870}, {5, 910}, {3, 940}, {2, 960}, {60, 975}, {10, 990},
        };
        /* a long run's reports are new ones (above); the pool's would all be used */
        static const uint32_t wc[][2] = {
            {300, 150}, {100, 300}, {80, 400}, {20, 500}, {10, 530}, {250, 600}, {100, 660},
            {20, 700}, {20, 800}, {20, 870}, {5, 910}, {3, 940}, {2, 960}, {60, 150}, {10, 990},
        };
        const uint32_t(*wt)[2] = g->churn ? wc : w;
        uint32_t acc = 0;
        for (size_t k = 0; k < sizeof w / sizeof *w; k++) {
            acc += wt[k][0];
            if (r < acc) {
                r = wt[k][1];
                break;
            }
        }
    }
    if (r < 100) {
        ladder__v1__hire__init(&g->m.hire);
        g->m.hire.employee_id = gen_emp(g, 0);
        g->m.hire.name = r % 7 ? "Li Wei" : "";
        snprintf(g->buf[1], 48, "team%u", gen_below(g, 5));
        snprintf(g->buf[2], 48, "centre%u", gen_below(g, 3));
        g->m.hire.team = g->buf[1];
        g->m.hire.centre = g->buf[2];
        g->cmd.cmd_case = LADDER__V1__COMMAND__CMD_HIRE;
        g->cmd.hire = &g->m.hire;
    } else if (r < 260) {
        ladder__v1__adjust_points__init(&g->m.adjust);
        g->m.adjust.employee_id = gen_emp(g, 0);
        g->m.adjust.amount = (int64_t)gen_below(g, 600) - 50;
        g->m.adjust.reason = "work";
        g->cmd.cmd_case = LADDER__V1__COMMAND__CMD_ADJUST_POINTS;
        g->cmd.adjust_points = &g->m.adjust;
    } else if (r < 340) {
        ladder__v1__complete_task__init(&g->m.task);
        g->m.task.employee_id = gen_emp(g, 0);
        snprintf(g->buf[1], 48, "level-%u", gen_below(g, 4));
        g->m.task.task_id = g->buf[1];
        g->cmd.cmd_case = LADDER__V1__COMMAND__CMD_COMPLETE_TASK;
        g->cmd.complete_task = &g->m.task;
    } else if (r < 440) {
        ladder__v1__record_query_test__init(&g->m.qt);
        g->m.qt.employee_id = gen_emp(g, 0);
        g->m.qt.total_ms = 100000 + (int64_t)gen_below(g, 60000);
        g->cmd.cmd_case = LADDER__V1__COMMAND__CMD_RECORD_QUERY_TEST;
        g->cmd.record_query_test = &g->m.qt;
    } else if (r < 520) {
        ladder__v1__start_apprenticeship__init(&g->m.sa);
        g->m.sa.mentor_id = gen_emp(g, 0);
        g->m.sa.apprentice_id = gen_emp(g, 1);
        g->cmd.cmd_case = LADDER__V1__COMMAND__CMD_START_APPRENTICESHIP;
        g->cmd.start_apprenticeship = &g->m.sa;
        snprintf(g->last_mentor, sizeof g->last_mentor, "%s", g->m.sa.mentor_id);
        snprintf(g->last_apprentice, sizeof g->last_apprentice, "%s", g->m.sa.apprentice_id);
    } else if (r < 540) {
        ladder__v1__end_apprenticeship__init(&g->m.ea);
        g->m.ea.mentor_id = gen_emp(g, 0);
        g->m.ea.apprentice_id = gen_emp(g, 1);
        g->cmd.cmd_case = LADDER__V1__COMMAND__CMD_END_APPRENTICESHIP;
        g->cmd.end_apprenticeship = &g->m.ea;
    } else if (r < 640) {
        ladder__v1__study_case__init(&g->m.study);
        g->m.study.employee_id = gen_emp(g, 0);
        g->m.study.case_id = gen_case(g, 1);
        if (gen_below(g, 4) == 0) /* cases accepted by review too (§6.3 counts them) */
            snprintf(g->buf[1], sizeof g->buf[1], "n%u", gen_below(g, 60));
        g->cmd.cmd_case = LADDER__V1__COMMAND__CMD_STUDY_CASE;
        g->cmd.study_case = &g->m.study;
        g->principal = g->m.study.employee_id;
        g->roles = EMP;
    } else if (r < 690) {
        ladder__v1__rate_case__init(&g->m.rate);
        g->m.rate.employee_id = gen_emp(g, 0);
        g->m.rate.case_id = gen_case(g, 1);
        g->m.rate.rating = (Ladder__V1__Rating)gen_below(g, 4);
        g->cmd.cmd_case = LADDER__V1__COMMAND__CMD_RATE_CASE;
        g->cmd.rate_case = &g->m.rate;
        g->principal = g->m.rate.employee_id;
        g->roles = EMP;
    } else if (r < 770) {
        ladder__v1__draw_exam__init(&g->m.draw);
        snprintf(g->buf[0], 48, "x%u", ++g->exam_no);
        g->m.draw.exam_id = g->buf[0];
        g->m.draw.employee_id = gen_emp(g, 1);
        g->m.draw.seed = gen_next(g) | 1;
        g->m.draw.purpose = gen_below(g, 3) ? LADDER__V1__EXAM_PURPOSE__EXAM_PROMOTION
                                            : LADDER__V1__EXAM_PURPOSE__EXAM_RETENTION;
        g->cmd.cmd_case = LADDER__V1__COMMAND__CMD_DRAW_EXAM;
        g->cmd.draw_exam = &g->m.draw;
    } else if (r < 850) {
        ladder__v1__grade_exam__init(&g->m.grade);
        /* mostly the latest draw: exams void after exam.expiry_days (§6.6 v2) */
        snprintf(g->buf[0], 48, "x%u", g->exam_no ? g->exam_no - (gen_below(g, 4) == 0) : 0);
        g->m.grade.exam_id = g->buf[0];
        g->m.grade.n_scores = gen_below(g, 8) ? 10 : 9;
        uint32_t base = 60 + gen_below(g, 40);
        for (size_t k = 0; k < g->m.grade.n_scores; k++)
            g->scores[k] = base + gen_below(g, 10);
        g->m.grade.scores = g->scores;
        g->cmd.cmd_case = LADDER__V1__COMMAND__CMD_GRADE_EXAM;
        g->cmd.grade_exam = &g->m.grade;
    } else if (r < 900) {
        ladder__v1__close_retention_year__init(&g->m.close);
        g->m.close.employee_id = gen_emp(g, 0);
        g->cmd.cmd_case = LADDER__V1__COMMAND__CMD_CLOSE_RETENTION_YEAR;
        g->cmd.close_retention_year = &g->m.close;
        g->principal = "system";
        g->roles = LADDER__V1__ROLE__ROLE_SYSTEM;
    } else if (r < 930) {
        ladder__v1__appeal__init(&g->m.appeal);
        g->m.appeal.employee_id = gen_emp(g, 0);
        g->m.appeal.reason = "unfair";
        g->cmd.cmd_case = LADDER__V1__COMMAND__CMD_APPEAL;
        g->cmd.appeal = &g->m.appeal;
        g->principal = g->m.appeal.employee_id;
        g->roles = EMP;
    } else if (r < 955) {
        ladder__v1__decide_appeal__init(&g->m.decide);
        g->m.decide.employee_id = gen_emp(g, 0);
        g->m.decide.overturn = gen_below(g, 2);
        g->m.decide.reason = "reviewed";
        g->cmd.cmd_case = LADDER__V1__COMMAND__CMD_DECIDE_APPEAL;
        g->cmd.decide_appeal = &g->m.decide;
    } else if (r < 970) {
        ladder__v1__expire_appeal__init(&g->m.expire);
        g->m.expire.employee_id = gen_emp(g, 0);
        g->cmd.cmd_case = LADDER__V1__COMMAND__CMD_EXPIRE_APPEAL;
        g->cmd.expire_appeal = &g->m.expire;
        g->principal = "system";
        g->roles = LADDER__V1__ROLE__ROLE_SYSTEM;
    } else if (r < 985) {
        ladder__v1__report_volunteer__init(&g->m.vol);
        snprintf(g->buf[0], 48, "w%u", gen_below(g, 200));
        g->m.vol.report_id = g->buf[0];
        for (int k = 0; k < 3; k++) {
            ladder__v1__volunteer_entry__init(&g->ve[k]);
            g->ve[k].employee_id = gen_emp(g, 1 + k);
            g->ve[k].hours = gen_below(g, 12);
            g->vep[k] = &g->ve[k];
        }
        g->m.vol.n_entries = 3;
        g->m.vol.entries = g->vep;
        g->cmd.cmd_case = LADDER__V1__COMMAND__CMD_REPORT_VOLUNTEER;
        g->cmd.report_volunteer = &g->m.vol;
    } else if (r < 993) {
        ladder__v1__award_medal__init(&g->m.medal);
        g->m.medal.employee_id = gen_emp(g, 0);
        g->m.medal.medal = gen_below(g, 2) ? "service-star" : "quality-cup";
        g->m.medal.reason = "outstanding";
        g->cmd.cmd_case = LADDER__V1__COMMAND__CMD_AWARD_MEDAL;
        g->cmd.award_medal = &g->m.medal;
    } else if (r < 997) {
        ladder__v1__adopt_rules__init(&g->m.rules);
        static const char *const docs[] = {
            "{\"points\":{\"daily_cap\":[0,0,0,0,0,0,0,0,0,0,0,0,300]}}",
            "{\"retention\":{\"points\":150},\"exam\":{\"retake_days\":7}}",
            "{\"case\":{\"cap\":13,\"protect_days\":20}}", /* §4 v2: evictions happen */
        };
        g->m.rules.rules_json = (char *)docs[gen_below(g, 3)];
        g->cmd.cmd_case = LADDER__V1__COMMAND__CMD_ADOPT_RULES;
        g->cmd.adopt_rules = &g->m.rules;
    } else if (r >= 1300) {
        /* v2: §2 placement, §6.5 confirmation, §6.6 expiry, §7 extension, §12 reversal */
        uint32_t k = r % 5;
        if (k == 0) {
            /* an existing centre: a few ids only, so most careers start at 0 */
            ladder__v1__place_employee__init(&g->m.place);
            snprintf(g->buf[0], sizeof g->buf[0], "e%u", g->emps - 1 - gen_below(g, 8));
            g->m.place.employee_id = g->buf[0];
            g->m.place.level = gen_below(g, 4);
            g->m.place.reason = gen_below(g, 9) ? "existing centre" : "";
            g->cmd.cmd_case = LADDER__V1__COMMAND__CMD_PLACE_EMPLOYEE;
            g->cmd.place_employee = &g->m.place;
        } else if (k == 1) {
            ladder__v1__confirm_apprenticeship__init(&g->m.conf);
            g->m.conf.mentor_id = gen_below(g, 4) && *g->last_mentor ? g->last_mentor : gen_emp(g, 0);
            g->m.conf.apprentice_id =
                gen_below(g, 4) && *g->last_apprentice ? g->last_apprentice : gen_emp(g, 1);
            g->cmd.cmd_case = LADDER__V1__COMMAND__CMD_CONFIRM_APPRENTICESHIP;
            g->cmd.confirm_apprenticeship = &g->m.conf;
            if (gen_below(g, 2)) {
                g->principal = g->m.conf.apprentice_id;
                g->roles = EMP;
            }
        } else if (k == 2) {
            ladder__v1__expire_exam__init(&g->m.xexp);
            g->m.xexp.employee_id = gen_emp(g, 0);
            g->cmd.cmd_case = LADDER__V1__COMMAND__CMD_EXPIRE_EXAM;
            g->cmd.expire_exam = &g->m.xexp;
            g->principal = "system";
            g->roles = LADDER__V1__ROLE__ROLE_SYSTEM;
        } else if (k == 3) {
            ladder__v1__extend_retention_window__init(&g->m.ext);
            g->m.ext.employee_id = gen_emp(g, 0);
            g->m.ext.days = gen_below(g, 70);
            g->m.ext.reason = "sick leave";
            g->cmd.cmd_case = LADDER__V1__COMMAND__CMD_EXTEND_RETENTION_WINDOW;
            g->cmd.extend_retention_window = &g->m.ext;
        } else {
            ladder__v1__reverse_fact__init(&g->m.rev);
            g->m.rev.seq = 1 + gen_below(g, 20000);
            g->m.rev.reason = "recorded in error";
            g->cmd.cmd_case = LADDER__V1__COMMAND__CMD_REVERSE_FACT;
            g->cmd.reverse_fact = &g->m.rev;
        }
    } else if (r >= 1295) {
        /* §4 v2: a chair retires or restores a case, or the system's library check.
         * Draws as many numbers as a committee decision (the range it takes from),
         * so that the rest of the stream is unchanged. */
        uint32_t k = gen_below(g, 3), n = gen_below(g, 5 * 2 * g->cases);
        snprintf(g->buf[1], sizeof g->buf[1], "c%u-%u-%u", 1 + n % 5, 1 + n / 5 % 2, n / 10);
        if (k == 0) {
            ladder__v1__retire_case__init(&g->m.retire);
            g->buf[1][1] = '5', g->buf[1][3] = '1'; /* level-5 training: exams and §6.3 as before */
            g->m.retire.case_id = g->buf[1];
            g->m.retire.reason = "outdated";
            g->cmd.cmd_case = LADDER__V1__COMMAND__CMD_RETIRE_CASE;
            g->cmd.retire_case = &g->m.retire;
        } else if (k == 1) {
            ladder__v1__restore_case__init(&g->m.restore);
            g->m.restore.case_id = g->buf[1];
            g->m.restore.reason = "still useful";
            g->cmd.cmd_case = LADDER__V1__COMMAND__CMD_RESTORE_CASE;
            g->cmd.restore_case = &g->m.restore;
        } else {
            ladder__v1__check_library__init(&g->m.check);
            g->cmd.cmd_case = LADDER__V1__COMMAND__CMD_CHECK_LIBRARY;
            g->cmd.check_library = &g->m.check;
        }
        g->principal = k < 2 ? "chair1" : "system";
        g->roles = k < 2 ? LADDER__V1__ROLE__ROLE_CHAIR : LADDER__V1__ROLE__ROLE_SYSTEM;
    } else if (r >= 1290) {
        ladder__v1__decide_committee__init(&g->m.cdec);
        g->m.cdec.employee_id = gen_emp(g, 0);
        g->m.cdec.admit = gen_below(g, 3) != 0;
        g->m.cdec.reason = "committee decision";
        g->cmd.cmd_case = LADDER__V1__COMMAND__CMD_DECIDE_COMMITTEE;
        g->cmd.decide_committee = &g->m.cdec;
    } else if (r >= 1280) {
        ladder__v1__apply_committee__init(&g->m.capp);
        g->m.capp.employee_id = gen_emp(g, 0);
        g->cmd.cmd_case = LADDER__V1__COMMAND__CMD_APPLY_COMMITTEE;
        g->cmd.apply_committee = &g->m.capp;
        g->principal = g->m.capp.employee_id;
        g->roles = EMP;
    } else if (r >= 1270) {
        ladder__v1__complete_qc__init(&g->m.qcd);
        snprintf(g->buf[0], 48, "qp%u", gen_below(g, 5));
        snprintf(g->buf[1], 48, "qg%u", gen_below(g, 8));
        g->m.qcd.project_id = g->buf[0], g->m.qcd.group_id = g->buf[1];
        g->cmd.cmd_case = LADDER__V1__COMMAND__CMD_COMPLETE_QC;
        g->cmd.complete_qc = &g->m.qcd;
    } else if (r >= 1250) {
        ladder__v1__claim_qc__init(&g->m.qcc);
        snprintf(g->buf[0], 48, "qp%u", gen_below(g, 5));
        snprintf(g->buf[1], 48, "qg%u", gen_below(g, 8));
        g->m.qcc.project_id = g->buf[0], g->m.qcc.group_id = g->buf[1];
        uint32_t n = 2 + gen_below(g, 5);
        for (uint32_t k = 0; k < n; k++)
            g->members[k] = gen_emp(g, 2 + (int)k);
        g->m.qcc.n_member_ids = n, g->m.qcc.member_ids = g->members;
        g->cmd.cmd_case = LADDER__V1__COMMAND__CMD_CLAIM_QC;
        g->cmd.claim_qc = &g->m.qcc;
    } else if (r >= 1240) {
        ladder__v1__publish_qc__init(&g->m.qcp);
        snprintf(g->buf[0], 48, "qp%u", gen_below(g, 5));
        g->m.qcp.project_id = g->buf[0], g->m.qcp.topic = "Shorter holds";
        g->m.qcp.points = 50 + gen_below(g, 100);
        g->cmd.cmd_case = LADDER__V1__COMMAND__CMD_PUBLISH_QC;
        g->cmd.publish_qc = &g->m.qcp;
    } else if (r >= 1220) {
        ladder__v1__judge_suggestion__init(&g->m.judge);
        snprintf(g->buf[0], 48, "sg%u", gen_below(g, 40));
        snprintf(g->buf[1], 48, "sg%u", gen_below(g, 40));
        g->m.judge.suggestion_id = g->buf[0];
        g->m.judge.verdict = (Ladder__V1__SuggestionVerdict)(1 + gen_below(g, 4));
        g->m.judge.amount = 30 + gen_below(g, 150);
        g->m.judge.duplicate_of = g->buf[1];
        g->m.judge.reason = "judged";
        g->cmd.cmd_case = LADDER__V1__COMMAND__CMD_JUDGE_SUGGESTION;
        g->cmd.judge_suggestion = &g->m.judge;
    } else if (r >= 1200) {
        ladder__v1__submit_suggestion__init(&g->m.sug);
        snprintf(g->buf[0], 48, "sg%u", gen_below(g, 40));
        g->m.sug.suggestion_id = g->buf[0];
        g->m.sug.employee_id = gen_emp(g, 1);
        g->m.sug.text = "Call back instead of holding";
        g->cmd.cmd_case = LADDER__V1__COMMAND__CMD_SUBMIT_SUGGESTION;
        g->cmd.submit_suggestion = &g->m.sug;
        g->principal = g->m.sug.employee_id;
        g->roles = EMP;
    } else if (r >= 1140) {
        ladder__v1__review_kb__init(&g->m.kbr);
        snprintf(g->buf[0], 48, "kp%u", gen_below(g, 50));
        g->m.kbr.proposal_id = g->buf[0];
        g->m.kbr.reviewer_id = gen_emp(g, 1);
        g->m.kbr.verdict = gen_below(g, 4) ? LADDER__V1__VERDICT__VERDICT_APPROVE
                                           : LADDER__V1__VERDICT__VERDICT_REJECT;
        g->m.kbr.amount = 1 + gen_below(g, 5);
        g->cmd.cmd_case = LADDER__V1__COMMAND__CMD_REVIEW_KB;
        g->cmd.review_kb = &g->m.kbr;
        g->principal = g->m.kbr.reviewer_id;
    } else if (r >= 1100) {
        ladder__v1__propose_kb__init(&g->m.kbp);
        uint32_t kp = gen_below(g, 50);
        snprintf(g->buf[0], 48, "kp%u", kp);
        snprintf(g->buf[1], 48, "ki%u", gen_below(g, 10));
        g->m.kbp.proposal_id = g->buf[0], g->m.kbp.item_id = g->buf[1];
        g->m.kbp.proposer_id = gen_emp(g, 2);
        g->m.kbp.text = "Refunds within 5 days";
        g->m.kbp.new_item = gen_below(g, 2);
        g->m.kbp.delete_item = !g->m.kbp.new_item && kp % 7 == 0; /* §4 v2, no extra draw */
        g->cmd.cmd_case = LADDER__V1__COMMAND__CMD_PROPOSE_KB;
        g->cmd.propose_kb = &g->m.kbp;
        g->principal = g->m.kbp.proposer_id;
        g->roles = EMP;
    } else if (r >= 1040) {
        /* §4 reviews by a manager who is also an employee: quorum, self, double */
        ladder__v1__review_case__init(&g->m.review);
        snprintf(g->buf[0], 48, "s%u", gen_below(g, 60));
        g->m.review.submission_id = g->buf[0];
        g->m.review.reviewer_id = gen_emp(g, 1);
        g->m.review.verdict = gen_below(g, 4) ? LADDER__V1__VERDICT__VERDICT_APPROVE
                                              : LADDER__V1__VERDICT__VERDICT_REJECT;
        g->m.review.amount = 18 + gen_below(g, 34);
        g->m.review.level = 2 + gen_below(g, 4); /* level 1 keeps no training: 0 -> 1 stays reachable */
        g->m.review.category = gen_below(g, 2) ? "billing" : "network";
        g->cmd.cmd_case = LADDER__V1__COMMAND__CMD_REVIEW_CASE;
        g->cmd.review_case = &g->m.review;
        g->principal = g->m.review.reviewer_id;
    } else if (r >= 1000) {
        ladder__v1__submit_case__init(&g->m.submit);
        ladder__v1__case_node__init(&g->node);
        ladder__v1__case_content__init(&g->content);
        g->node.customer_says = "Why was I charged twice?";
        g->content.kind = LADDER__V1__CASE_KIND__CASE_KIND_TEXT;
        g->content.title = "Double charge";
        g->content.root = &g->node;
        uint32_t k = gen_below(g, 60);
        snprintf(g->buf[0], 48, "s%u", k);
        snprintf(g->buf[1], 48, "n%u", k);
        g->m.submit.submission_id = g->buf[0];
        g->m.submit.case_id = g->buf[1];
        g->m.submit.author_id = gen_emp(g, 2);
        g->m.submit.content = &g->content;
        g->cmd.cmd_case = LADDER__V1__COMMAND__CMD_SUBMIT_CASE;
        g->cmd.submit_case = &g->m.submit;
        g->principal = g->m.submit.author_id;
        g->roles = EMP;
    } else {
        ladder__v1__leave__init(&g->m.leave);
        g->m.leave.employee_id = gen_emp(g, 0);
        g->m.leave.reason = "moved";
        g->cmd.cmd_case = LADDER__V1__COMMAND__CMD_LEAVE;
        g->cmd.leave = &g->m.leave;
    }
    return &g->cmd;
}
