"""Why a case is held, in a clerk's words (English and Chinese), and who reviews it next; never another
case's id (it may be another jurisdiction's)."""

from services.intake.domain.holds import hold_reason


def test_a_person_in_another_open_case_is_explained_in_english_and_chinese():
    hold = hold_reason({"person_in_open_case": 2})
    assert hold is not None and hold.code == "person_in_open_case"
    assert "2 other case(s) not decided yet" in hold.message
    assert "2个尚未办结" in hold.message_zh
    assert "supervisor" in hold.next_step and "township or county approver" in hold.next_step
    assert "主管" in hold.next_step_zh
    assert hold.reviewed_by == ["township_approver", "county_approver"]


def test_both_flags_are_named_in_a_fixed_order():
    hold = hold_reason({"household_being_helped": 1, "person_in_open_case": 1})
    assert hold is not None and hold.code == "person_in_open_case+household_being_helped"
    assert "approved for temporary assistance recently" in hold.message and "近期已获批" in hold.message_zh


def test_no_open_flag_no_hold():
    assert hold_reason({}) is None
