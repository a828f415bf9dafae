"""Writes tests/bot/stories/test_stories.yml from the catalogues (the output is committed).

    python tests/bot/stories/generate_test_stories.py

Run it again when an item or a field is added to backend/data/catalog*.yml.
"""

import json
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[3]
OUT = REPO / "tests" / "bot" / "stories" / "test_stories.yml"
spec = yaml.safe_load((REPO / "backend" / "data" / "catalog.codes.yml").read_text(encoding="utf-8"))
back = yaml.safe_load((REPO / "backend" / "data" / "catalog.yml").read_text(encoding="utf-8"))
SAMPLE = {  # field -> (entity or None, value typed, slot value)
    "month": ("month", "上个月", "2026-10"),
    "medical_tier": ("medical_tier", "1", "1"),
    "pension_grade": ("pension_grade", "三", "3"),
    "destination_province": ("province", "湖南省", "湖南省"),
    "destination_city": ("city", "长沙", "长沙"),
    "from_province": ("province", "湖南省", "湖南省"),
    "from_city": ("city", "长沙", "长沙"),
    "new_id_number": ("id_number", "44030119780512123X", "44030119780512123X"),
    "bank_name": ("bank_name", "招商银行", "招商银行"),
    "account_no": (None, None, "6225880212340000"),
    "holder_name": (None, None, "张伟"),
    "holder_id_number": ("id_number", "440304198805121317", "440304198805121317"),
    "years": (None, None, "5"),
    "work_start_year": (None, None, "1988"),
    "work_end_year": (None, None, "1995"),
    "category": ("choice", "被征地农民", "被征地农民"),
    "from_month": ("month", "2020年1月", "2020-01"),
    "to_month": ("month", "2020年12月", "2020-12"),
    "other_place": (None, None, "广州"),
    "settle_in_date": (None, None, "2026-06-01"),
    "hukou_category": ("hukou_category", "guangdong_non_shenzhen", "guangdong_non_shenzhen"),
    "phone": ("phone_number", "13800138009", "13800138009"),
    "address": (None, None, "深圳市南山区"),
    "in_school": ("choice", "yes", "yes"),
    "school_name": (None, None, "南山实验学校"),
    "guardian_name": (None, None, "李娜"),
    "guardian_id_number": ("id_number", "440305199008202426", "440305199008202426"),
    "relation": ("choice", "mother", "mother"),
    "change_target": ("choice", "hukou_category", "hukou_category"),
    "pre_application_number": ("pre_application_number", "YS202600000001X", "YS202600000001X"),
}
REFUSAL = {  # code -> who is refused (demo data, backend/sz_backend/seed.py) and why
    "stop_individual_insurance": "李娜 is insured through her employer",
    "stop_child_insurance": "李小红 is a student, not a child enrolment",
    "stop_student_insurance": "no linked child is enrolled as a student",
    "stop_resident_insurance": "张伟 has no residents' insurance",
    "resume_resident_insurance": "何丽's residents' insurance is still active",
    "retry_individual_collection": "outside the payment window / nothing failed",
    "pay_child_medical": "outside the payment window",
    "change_enrollment_info": "李娜 is not a flexible worker",
    "upgrade_id_number": "张伟 already has an 18-digit ID number",
    "maintain_payment_bank": "刘洋's activated financial social security card locks the payment account",
    "change_resident_pension_grade": "张伟 is not in residents' pension insurance",
    "continue_medical_after_retirement": "张伟 is not retired",
    "transfer_pension_out": "赵建国 has no active pension enrolment",
    "transfer_medical_out": "赵建国 has no active medical enrolment",
    "cancel_pension_transfer_out": "张伟 has no pending transfer-out",
    "cancel_medical_transfer_out": "周敏's medical transfer was already accepted",
    "register_extended_contribution": "张伟 is far from retirement age",
    "register_lump_sum_contribution": "张伟 has not extended for five years",
    "register_resident_pension": "张伟 is insured as a flexible worker",
    "elderly_resident_medical": "张伟 is not over age",
    "resident_back_payment": "张伟 is not in residents' pension insurance",
    "work_years_back_payment": "no working years to recognise",
    "four_categories_back_payment": "not one of the four categories",
    "refund_duplicate_pension": "no duplicate contributions",
    "transfer_pension_in": "a transfer-in is already pending",
    "transfer_medical_in": "a transfer-in is already pending",
    "register_individual_insurance": "黄强 does not have Shenzhen hukou",
    "enroll_child_first_time": "every linked child is already enrolled",
    "change_basic_info": "no identity (not logged in)",
    "maintain_child_student_info": "no linked child",
    "maintain_guardian_info": "no linked child",
}


def Q(s: object) -> str:
    return json.dumps(s, ensure_ascii=False)


def form_turns(fields, with_faq=False):
    out = []
    names = [f["name"] for f in fields if f.get("required")]
    if not names:  # change_basic_info: which field first
        names = ["change_target", "hukou_category"]
    if "in_school" in names:
        names = names + ["school_name"]
    out.append("  - action: item_form\n  - active_loop: item_form\n")
    out.append(f"  - slot_was_set:\n    - requested_slot: {names[0]}\n")
    for i, n in enumerate(names):
        ent, typed, value = SAMPLE[n]
        if with_faq and i == 0:
            out.append("  - intent: faq\n  - action: action_answer_question\n  - action: item_form\n")
            out.append(f"  - slot_was_set:\n    - requested_slot: {n}\n")
        out.append("  - intent: inform\n")
        if ent:
            out.append(f"    entities:\n    - {ent}: {Q(typed)}\n")
        out.append("  - action: item_form\n  - slot_was_set:\n")
        out.append(f"    - {n}: {Q(value)}\n")
        nxt = names[i + 1] if i + 1 < len(names) else None
        if nxt:
            out.append(f"    - requested_slot: {nxt}\n")
        else:
            out.append("    - requested_slot: null\n  - active_loop: null\n")
    return "".join(out), names


def start(code, stage, entities=None, task=True):
    s = f"  - intent: {code}\n"
    if entities:
        s += "    entities:\n" + "".join(f"    - {k}: {Q(v)}\n" for k, v in entities.items())
    s += "  - action: action_start_task\n  - slot_was_set:\n"
    if task:
        s += f"    - task_code: {code}\n"
    s += f"    - task_stage: {stage}\n"
    return s


CONFIRM = "  - intent: affirm\n  - action: action_submit_task\n  - slot_was_set:\n    - task_code: null\n    - task_stage: idle\n"

o = [
    """version: "3.1"

# Test stories of the dialogue: run with
#   rasa test core --stories tests/bot/stories --fail-on-prediction-errors
# They check the predicted actions only (the action server is not called), so
# each story sets the slots the real actions would set. The one slot the policy
# reads is task_stage: collect -> item_form, confirm -> wait for 确认/取消,
# choose -> wait for the pick (button, or a typed / spoken name), idle -> wait. Which outcome the backend gives (completed / pre-application /
# refused) is said by the action itself, so e.g. a completed and a refused
# submission predict the same next action; the stories still show each path.
# Every item and service of shared/spec/catalog.yml has a happy path, and a
# refusal / pre-application / comparison path where it has one. Generated from
# the catalogues; the person in each story comment is a demo person of
# backend/sz_backend/seed.py.

stories:
"""
]
for e in spec["items"]:
    code, mode, name = e["code"], e["mode"], e["name"]
    fields = back["items"][code].get("fields") or []
    child = e.get("acts_for") == "child"
    title = {
        "direct": "completed online",
        "pre_application": "pre-application",
        "compare": "comparison passes, completed online",
    }[mode]
    if fields:
        turns, names = form_turns(fields, with_faq=(mode == "pre_application"))
        o.append(
            f"- story: {code} ({name}) happy path, {title}"
            + (", a question in the middle of the form" if mode == "pre_application" else "")
            + "\n  steps:\n"
        )
        o.append(start(code, "collect"))
        o.append(turns)
        o.append("  - action: action_review_task\n  - slot_was_set:\n    - task_stage: confirm\n")
        o.append(CONFIRM + "\n")
    else:
        o.append(f"- story: {code} ({name}) happy path, {title}\n  steps:\n")
        o.append(start(code, "confirm"))
        o.append(CONFIRM + "\n")
    # refusal at the eligibility check: nothing is collected
    o.append(f"- story: {code} ({name}) refused before anything is collected ({REFUSAL[code]})\n  steps:\n")
    o.append(start(code, "idle", task=False) + "\n")
    if mode == "compare":
        # comparison fails -> pre-application (same predictions), and the backend's 422 re-ask
        first = fields[0]["name"] if fields else "change_target"
        if fields and any(f.get("required") for f in fields):
            turns, names = form_turns(fields)
            o.append(
                f"- story: {code} ({name}) the backend rejects a field after confirmation and it is asked again; then the comparison fails and it becomes a pre-application\n  steps:\n"
            )
            o.append(start(code, "collect"))
            o.append(turns)
            o.append("  - action: action_review_task\n  - slot_was_set:\n    - task_stage: confirm\n")
            n = names[0]
            ent, typed, value = SAMPLE[n]
            o.append("  - intent: affirm\n  - action: action_submit_task\n  - slot_was_set:\n")
            o.append(f"    - {n}: null\n    - task_stage: collect\n")
            o.append(
                f"  - action: item_form\n  - active_loop: item_form\n  - slot_was_set:\n    - requested_slot: {n}\n"
            )
            o.append("  - intent: inform\n" + (f"    entities:\n    - {ent}: {Q(typed)}\n" if ent else ""))
            o.append(
                f"  - action: item_form\n  - slot_was_set:\n    - {n}: {Q(value)}\n    - requested_slot: null\n  - active_loop: null\n"
            )
            o.append("  - action: action_review_task\n  - slot_was_set:\n    - task_stage: confirm\n")
            o.append(CONFIRM + "\n")
    if child:
        o.append(f"- story: {code} ({name}) for one of several linked children, chosen with a button\n  steps:\n")
        o.append(start(code, "choose", task=False))
        o.append(
            f'  - intent: {code}\n    entities:\n    - subject_id: "5"\n  - action: action_start_task\n  - slot_was_set:\n    - task_code: {code}\n    - subject_id: "5"\n'
        )
        o.append(f"    - task_stage: {'collect' if fields else 'confirm'}\n")
        if fields:
            turns, _ = form_turns(fields)
            o.append(turns + "  - action: action_review_task\n  - slot_was_set:\n    - task_stage: confirm\n")
        o.append(CONFIRM + "\n")

# ---- services
o.append(
    """- story: self_service_payment (个缴自助缴费) happy path, paid
  steps:
  - intent: self_service_payment
  - action: action_start_task
  - slot_was_set:
    - task_code: self_service_payment
    - task_stage: confirm
"""
    + CONFIRM
    + """
- story: self_service_payment (个缴自助缴费) refused outside the payment window (the backend says when it opens)
  steps:
  - intent: self_service_payment
  - action: action_start_task
  - slot_was_set:
    - task_code: self_service_payment
    - task_stage: confirm
"""
    + CONFIRM
    + """
- story: self_service_payment (个缴自助缴费) the backend is busy at submission; the same confirmation is retried and acts once
  steps:
  - intent: self_service_payment
  - action: action_start_task
  - slot_was_set:
    - task_code: self_service_payment
    - task_stage: confirm
  - intent: affirm
  - action: action_submit_task
  - slot_was_set:
    - task_stage: confirm
"""
    + CONFIRM
    + """
- story: query_contributions (五险缴费明细查询) answered at once
  steps:
  - intent: query_contributions
    entities:
    - month: "2026年1月"
    - month: "2026年10月"
  - action: action_start_task
  - slot_was_set:
    - task_stage: idle

- story: query_contributions (五险缴费明细查询) without login explains how to log in
  steps:
  - intent: query_contributions
  - action: action_start_task
  - slot_was_set:
    - task_stage: idle
  - intent: thank
  - action: utter_you_are_welcome

- story: print_insurance_certificate (社保参保证明打印) answered with a download link
  steps:
  - intent: print_insurance_certificate
  - action: action_start_task
  - slot_was_set:
    - task_stage: idle

- story: print_insurance_certificate (社保参保证明打印) for a child chosen with a button
  steps:
  - intent: print_insurance_certificate
    entities:
    - subject: child
  - action: action_start_task
  - slot_was_set:
    - task_stage: choose
  - intent: print_insurance_certificate
    entities:
    - subject_id: "3"
  - action: action_start_task
  - slot_was_set:
    - task_stage: idle

- story: query_pre_application (预申请进度查询) with the number in the request
  steps:
  - intent: query_pre_application
    entities:
    - pre_application_number: YS202600000001X
  - action: action_start_task
  - slot_was_set:
    - task_stage: idle

- story: query_pre_application (预申请进度查询) asks for the number
  steps:
  - intent: query_pre_application
  - action: action_start_task
  - slot_was_set:
    - task_code: query_pre_application
    - task_stage: collect
  - action: item_form
  - active_loop: item_form
  - slot_was_set:
    - requested_slot: pre_application_number
  - intent: inform
    entities:
    - pre_application_number: YS202600000001X
  - action: item_form
  - slot_was_set:
    - pre_application_number: YS202600000001X
    - requested_slot: null
  - active_loop: null
  - action: action_review_task
  - slot_was_set:
    - task_code: null
    - task_stage: idle

- story: register_account (新用户注册) opens the registration form (no login), and cancel leaves it
  steps:
  - intent: register_account
  - action: action_start_task
  - slot_was_set:
    - task_stage: register
  - action: registration_form
  - active_loop: registration_form
  - intent: cancel
  - action: action_registration_cancel
  - active_loop: null
  - slot_was_set:
    - requested_slot: null
    - task_stage: idle
"""
)
OUT.write_text("".join(o), encoding="utf-8")

# ---- vague requests, conversation, interruptions
# Conversation repair (issue 14) and corrections (issue 16): bot/data/rules/repair.yml
REPAIR = (
    """
- story: repeat and dont know in the middle of the form, then a correction of the earlier answer
  steps:
  - intent: maintain_payment_bank
  - action: action_start_task
  - slot_was_set:
    - task_code: maintain_payment_bank
    - task_stage: collect
  - action: item_form
  - active_loop: item_form
  - slot_was_set:
    - requested_slot: bank_name
  - intent: inform
    entities:
    - bank_name: 招商银行
  - action: item_form
  - slot_was_set:
    - bank_name: 招商银行
    - requested_slot: account_no
  - intent: ask_repeat
  - action: action_repeat_last
  - action: item_form
  - slot_was_set:
    - requested_slot: account_no
  - intent: dont_know
  - action: action_explain_field
  - action: item_form
  - slot_was_set:
    - requested_slot: account_no
  - intent: correct_value
    entities:
    - bank_name: 中国建设银行
  - action: item_form
  - slot_was_set:
    - bank_name: 中国建设银行
    - requested_slot: account_no
  - intent: ask_human
  - action: action_handoff
  - slot_was_set:
    - handoff_requested: true
  - action: item_form
  - slot_was_set:
    - requested_slot: account_no
  - intent: cancel
  - action: action_cancel_task
  - active_loop: null
  - slot_was_set:
    - requested_slot: null
    - task_code: null
    - task_stage: idle

- story: a correction at the summary naming a field asks it again in the form, then the updated summary
  steps:
  - intent: change_resident_pension_grade
  - action: action_start_task
  - slot_was_set:
    - task_code: change_resident_pension_grade
    - task_stage: collect
  - action: item_form
  - active_loop: item_form
  - slot_was_set:
    - requested_slot: pension_grade
  - intent: inform
    entities:
    - pension_grade: "3"
  - action: item_form
  - slot_was_set:
    - pension_grade: "3"
    - requested_slot: null
  - active_loop: null
  - action: action_review_task
  - slot_was_set:
    - task_stage: confirm
  - intent: correct_value
  - action: action_correct_task
  - slot_was_set:
    - pension_grade: null
    - task_stage: collect
  - action: item_form
  - active_loop: item_form
  - slot_was_set:
    - requested_slot: pension_grade
  - intent: inform
    entities:
    - pension_grade: "5"
  - action: item_form
  - slot_was_set:
    - pension_grade: "5"
    - requested_slot: null
  - active_loop: null
  - action: action_review_task
  - slot_was_set:
    - task_stage: confirm
"""
    + CONFIRM
    + """
- story: 不对 alone at the summary asks which one, repeat, a person, don't know, then a corrected value
  steps:
  - intent: stop_resident_insurance
  - action: action_start_task
  - slot_was_set:
    - task_code: stop_resident_insurance
    - task_stage: confirm
  - intent: deny
  - action: action_correct_task
  - slot_was_set:
    - task_stage: confirm
  - intent: ask_repeat
  - action: action_repeat_last
  - intent: ask_human
  - action: action_handoff
  - slot_was_set:
    - handoff_requested: true
  - action: utter_confirm_or_cancel
  - intent: dont_know
  - action: action_explain_field
  - intent: correct_value
  - action: action_correct_task
  - slot_was_set:
    - task_stage: confirm
"""
    + CONFIRM
    + """
- story: a correction or don't know with nothing pending, a person while "which one?" is pending
  steps:
  - intent: correct_value
  - action: action_correct_task
  - slot_was_set:
    - task_stage: idle
  - intent: dont_know
  - action: action_explain_field
  - intent: ask_repeat
  - action: action_repeat_last
  - intent: stop_insurance
  - action: action_start_task
  - slot_was_set:
    - task_stage: choose
  - intent: ask_human
  - action: action_handoff
  - slot_was_set:
    - handoff_requested: true
  - action: action_repeat_choices
  - intent: correct_value
  - action: action_start_task
  - slot_was_set:
    - task_stage: choose
  - intent: stop_child_insurance
    entities:
    - subject_id: "3"
  - action: action_start_task
  - slot_was_set:
    - task_code: stop_child_insurance
    - task_stage: confirm
"""
    + CONFIRM
    + """
"""
)

o2 = (
    """
- story: stop_insurance (vague) for a guardian who is also a flexible worker; the candidates are offered as buttons
  steps:
  - intent: stop_insurance
  - action: action_start_task
  - slot_was_set:
    - task_stage: choose
  - intent: stop_child_insurance
    entities:
    - subject_id: "3"
  - action: action_start_task
  - slot_was_set:
    - task_code: stop_child_insurance
    - subject_id: "3"
    - task_stage: confirm
"""
    + CONFIRM
    + """
- story: stop_insurance (vague); the person types (or says) the child's name instead of clicking
  steps:
  - intent: stop_insurance
  - action: action_start_task
  - slot_was_set:
    - task_stage: choose
  - intent: inform
    entities:
    - child_name: 李小明
  - action: action_start_task
  - slot_was_set:
    - task_code: stop_child_insurance
    - task_stage: confirm
"""
    + CONFIRM
    + """
- story: which child? a bare name unclear to the NLU, an answer matching nothing is asked again, then no
  steps:
  - intent: pay_child_medical
  - action: action_start_task
  - slot_was_set:
    - task_stage: choose
  - intent: nlu_fallback
  - action: action_start_task
  - slot_was_set:
    - task_stage: choose
  - intent: affirm
  - action: action_start_task
  - slot_was_set:
    - task_stage: choose
  - intent: deny
  - action: action_cancel_task
  - active_loop: null
  - slot_was_set:
    - requested_slot: null
    - task_stage: idle

- story: stop_insurance (vague) with only one usable item goes straight to its summary
  steps:
  - intent: stop_insurance
  - action: action_start_task
  - slot_was_set:
    - task_code: stop_individual_insurance
    - task_stage: confirm
"""
    + CONFIRM
    + """
- story: transfer_out (vague) with the insurance named resolves to the pension transfer and asks its fields
  steps:
  - intent: transfer_out
    entities:
    - insurance_type: pension
    - province: 湖南省
  - action: action_start_task
  - slot_was_set:
    - task_code: transfer_pension_out
    - task_stage: collect
  - action: item_form
  - active_loop: item_form
  - slot_was_set:
    - destination_province: 湖南省
    - requested_slot: destination_city
  - intent: inform
    entities:
    - city: 长沙
  - action: item_form
  - slot_was_set:
    - destination_city: 长沙
    - requested_slot: null
  - active_loop: null
  - action: action_review_task
  - slot_was_set:
    - task_stage: confirm
"""
    + CONFIRM
    + """
- story: cancel in the middle of the form leaves it
  steps:
  - intent: transfer_medical_out
  - action: action_start_task
  - slot_was_set:
    - task_code: transfer_medical_out
    - task_stage: collect
  - action: item_form
  - active_loop: item_form
  - slot_was_set:
    - requested_slot: destination_province
  - intent: cancel
  - action: action_cancel_task
  - active_loop: null
  - slot_was_set:
    - requested_slot: null
    - task_code: null
    - task_stage: idle
  - intent: thank
  - action: utter_you_are_welcome

- story: declining the summary cancels (action_correct_task, a plain no with nothing to correct)
  steps:
  - intent: stop_resident_insurance
  - action: action_start_task
  - slot_was_set:
    - task_code: stop_resident_insurance
    - task_stage: confirm
  - intent: deny
  - action: action_correct_task
  - slot_was_set:
    - task_code: null
    - task_stage: idle

- story: a question at the confirmation is answered, the confirmation is asked again and still works
  steps:
  - intent: cancel_pension_transfer_out
  - action: action_start_task
  - slot_was_set:
    - task_code: cancel_pension_transfer_out
    - task_stage: confirm
  - intent: faq
  - action: action_answer_question
  - action: utter_confirm_or_cancel
"""
    + CONFIRM
    + """
- story: asking for a person in the middle of the form, then carrying on
  steps:
  - intent: retry_individual_collection
  - action: action_start_task
  - slot_was_set:
    - task_code: retry_individual_collection
    - task_stage: collect
  - action: item_form
  - active_loop: item_form
  - slot_was_set:
    - requested_slot: month
  - intent: ask_human
  - action: action_handoff
  - slot_was_set:
    - handoff_requested: true
  - action: item_form
  - slot_was_set:
    - requested_slot: month
  - intent: inform
    entities:
    - month: 上个月
  - action: item_form
  - slot_was_set:
    - month: "2026-10"
    - requested_slot: null
  - active_loop: null
  - action: action_review_task
  - slot_was_set:
    - task_stage: confirm
"""
    + CONFIRM
    + """
- story: switching to another item in the middle of the form
  steps:
  - intent: transfer_pension_in
  - action: action_start_task
  - slot_was_set:
    - task_code: transfer_pension_in
    - task_stage: collect
  - action: item_form
  - active_loop: item_form
  - slot_was_set:
    - requested_slot: from_province
  - intent: query_contributions
  - action: action_start_task
  - active_loop: null
  - slot_was_set:
    - requested_slot: null
    - task_code: null
    - task_stage: idle
  - intent: thank
  - action: utter_you_are_welcome

- story: goodbye in the middle of the form leaves it
  steps:
  - intent: resident_back_payment
  - action: action_start_task
  - slot_was_set:
    - task_code: resident_back_payment
    - task_stage: collect
  - action: item_form
  - active_loop: item_form
  - slot_was_set:
    - requested_slot: years
  - intent: goodbye
  - action: action_cancel_task
  - active_loop: null
  - slot_was_set:
    - requested_slot: null
    - task_code: null
    - task_stage: idle
  - action: utter_goodbye

- story: greeting, capabilities, a question, thanks, goodbye
  steps:
  - intent: greet
  - action: utter_greet
  - intent: ask_capabilities
  - action: utter_capabilities
  - intent: faq
  - action: action_answer_question
  - intent: bot_challenge
  - action: utter_iamabot
  - intent: thank
  - action: utter_you_are_welcome
  - intent: goodbye
  - action: utter_goodbye

- story: an unclear message gets a clarifying question with the likely intents, then the chosen item starts
  steps:
  - intent: nlu_fallback
  - action: action_clarify_intent
  - intent: stop_individual_insurance
  - action: action_start_task
  - slot_was_set:
    - task_code: stop_individual_insurance
    - task_stage: confirm
"""
    + CONFIRM
    + """
- story: out of scope, then affirm and deny with nothing pending
  steps:
  - intent: out_of_scope
  - action: action_out_of_scope
  - intent: affirm
  - action: action_affirm_without_task
  - intent: deny
  - action: utter_no_problem
  - intent: inform
  - action: action_start_task
  - slot_was_set:
    - task_stage: idle

- story: an unclear message at the confirmation is not guessed at
  steps:
  - intent: stop_resident_insurance
  - action: action_start_task
  - slot_was_set:
    - task_code: stop_resident_insurance
    - task_stage: confirm
  - intent: nlu_fallback
  - action: action_correct_task
  - slot_was_set:
    - task_stage: confirm
"""
    + CONFIRM
    + """
- story: ask for a person
  steps:
  - intent: ask_human
  - action: action_handoff
  - slot_was_set:
    - handoff_requested: true

- story: new details at the confirmation correct the summary (updated summary, then cancel)
  steps:
  - intent: change_enrollment_info
  - action: action_start_task
  - slot_was_set:
    - task_code: change_enrollment_info
    - task_stage: collect
  - action: item_form
  - active_loop: item_form
  - slot_was_set:
    - medical_tier: "2"
    - requested_slot: null
  - active_loop: null
  - action: action_review_task
  - slot_was_set:
    - task_stage: confirm
  - intent: inform
    entities:
    - medical_tier: "1"
  - action: action_correct_task
  - slot_was_set:
    - medical_tier: "1"
    - task_stage: confirm
  - intent: cancel
  - action: action_cancel_task
  - active_loop: null
  - slot_was_set:
    - requested_slot: null
    - task_code: null
    - task_stage: idle
"""
    + REPAIR
)
with OUT.open("a", encoding="utf-8") as f:
    f.write(o2)
