/* fuzz_common.h — a populated core for the fuzz targets: employees, a case
 * library, a KB item, a QC project; each input is applied under a savepoint
 * and rolled back, so every input meets the same state. */
#ifndef LD_FUZZ_COMMON_H
#define LD_FUZZ_COMMON_H

#include <stdio.h>
#include <string.h>

#include "core.h"

#define FUZZ_T0 1767542400000LL

static void fuzz_cmd(ld_core_t *c, ld_out_t *out, Ladder__V1__Command *cmd, const char *who,
                     uint32_t roles)
{
    ld_ctx_t ctx = {FUZZ_T0, who, roles, (const uint8_t *)"seed", 4};
    ld_out_reset(out);
    ld_core_execute(c, cmd, &ctx, out, NULL);
}

static ld_core_t *fuzz_core(void)
{
    ld_core_t *c = ld_core_new(1);
    ld_out_t *out = ld_out_new();
    for (int i = 0; i < 8; i++) {
        char id[8];
        snprintf(id, sizeof id, "e%d", i);
        Ladder__V1__Hire h = LADDER__V1__HIRE__INIT;
        h.employee_id = id, h.name = "Fuzz", h.team = "t", h.centre = "c";
        Ladder__V1__Command cmd = LADDER__V1__COMMAND__INIT;
        cmd.cmd_case = LADDER__V1__COMMAND__CMD_HIRE;
        cmd.hire = &h;
        fuzz_cmd(c, out, &cmd, "boss", LADDER__V1__ROLE__ROLE_MANAGER);
        Ladder__V1__AdjustPoints a = LADDER__V1__ADJUST_POINTS__INIT;
        a.employee_id = id, a.amount = 900 * (i + 1), a.reason = "seed";
        cmd.cmd_case = LADDER__V1__COMMAND__CMD_ADJUST_POINTS;
        cmd.adjust_points = &a;
        fuzz_cmd(c, out, &cmd, "boss", LADDER__V1__ROLE__ROLE_MANAGER);
    }
    for (int k = 0; k < 24; k++) {
        char sub[16], cid[16];
        snprintf(sub, sizeof sub, "s%d", k);
        snprintf(cid, sizeof cid, "c%d", k);
        Ladder__V1__CaseNode root = LADDER__V1__CASE_NODE__INIT;
        root.customer_says = "Why?";
        Ladder__V1__CaseContent ct = LADDER__V1__CASE_CONTENT__INIT;
        ct.kind = LADDER__V1__CASE_KIND__CASE_KIND_TEXT, ct.title = "T", ct.root = &root;
        Ladder__V1__SubmitCase sc = LADDER__V1__SUBMIT_CASE__INIT;
        sc.submission_id = sub, sc.case_id = cid, sc.author_id = "e0", sc.content = &ct;
        Ladder__V1__Command cmd = LADDER__V1__COMMAND__INIT;
        cmd.cmd_case = LADDER__V1__COMMAND__CMD_SUBMIT_CASE;
        cmd.submit_case = &sc;
        fuzz_cmd(c, out, &cmd, "e0", LADDER__V1__ROLE__ROLE_EMPLOYEE);
        for (int r = 1; r <= 3; r++) {
            char who[8];
            snprintf(who, sizeof who, "m%d", r);
            Ladder__V1__ReviewCase rv = LADDER__V1__REVIEW_CASE__INIT;
            rv.submission_id = sub, rv.reviewer_id = who;
            rv.verdict = LADDER__V1__VERDICT__VERDICT_APPROVE;
            rv.amount = 30, rv.level = 1 + (uint32_t)(k % 2), rv.category = "billing";
            cmd.cmd_case = LADDER__V1__COMMAND__CMD_REVIEW_CASE;
            cmd.review_case = &rv;
            fuzz_cmd(c, out, &cmd, who, LADDER__V1__ROLE__ROLE_MANAGER);
        }
    }
    Ladder__V1__PublishQc pq = LADDER__V1__PUBLISH_QC__INIT;
    pq.project_id = "q1", pq.topic = "T", pq.points = 10;
    Ladder__V1__Command cmd = LADDER__V1__COMMAND__INIT;
    cmd.cmd_case = LADDER__V1__COMMAND__CMD_PUBLISH_QC;
    cmd.publish_qc = &pq;
    fuzz_cmd(c, out, &cmd, "boss", LADDER__V1__ROLE__ROLE_MANAGER);
    ld_out_destroy(&out);
    return c;
}

#endif
