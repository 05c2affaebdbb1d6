"""Pure helpers of the shared library: ID numbers, money, encryption, problem field paths, settings."""

from datetime import date
from decimal import Decimal

import pytest

from shared import idnumber
from shared.crypto import DecryptionError, FieldCipher
from shared.errors import field_path
from shared.money import to_fen
from shared.settings import DEV_BLIND_INDEX_KEY, DEV_ENCRYPTION_KEYS, ServiceSettings
from tests.factories import resident_id


class TestResidentIdNumber:
    def test_accepts_a_number_with_the_right_check_character(self):
        assert idnumber.validate("11010519491231002X") == "11010519491231002X"

    def test_lower_case_x_is_normalised(self):
        assert idnumber.validate("11010519491231002x") == "11010519491231002X"

    def test_rejects_a_wrong_check_character(self):
        with pytest.raises(idnumber.InvalidIdNumber, match="check character"):
            idnumber.validate("110105194912310021")

    def test_rejects_a_birth_date_in_the_future(self):
        first17 = "14030220990101001"
        with pytest.raises(idnumber.InvalidIdNumber, match="future"):
            idnumber.validate(first17 + idnumber.check_character(first17), today=date(2026, 1, 1))

    def test_rejects_an_impossible_birth_date(self):
        first17 = "14030219800230001"
        with pytest.raises(idnumber.InvalidIdNumber, match="impossible"):
            idnumber.validate(first17 + idnumber.check_character(first17))

    @pytest.mark.parametrize("bad", ["", "1403021980010100", "14030219800101001XX", "A40302198001010011"])
    def test_rejects_wrong_length_or_characters(self, bad):
        with pytest.raises(idnumber.InvalidIdNumber):
            idnumber.validate(bad)

    def test_masks_keep_area_and_last_four(self):
        assert idnumber.mask("140302198001011234") == "140302********1234"
        assert idnumber.mask_name("张小明") == "张*明"
        assert idnumber.mask_name("李花") == "李*"
        assert idnumber.mask_account("6222020200112233445") == "***************3445"

    def test_factory_numbers_are_valid(self):
        assert idnumber.validate(resident_id())


class TestMoney:
    def test_rounds_half_up_to_the_fen(self):
        assert to_fen(Decimal("1.005")) == Decimal("1.01")
        assert to_fen("2") == Decimal("2.00")

    def test_refuses_floats(self):
        with pytest.raises(TypeError):
            to_fen(1.1)  # type: ignore[arg-type]


class TestFieldCipher:
    def test_round_trip_and_context_binding(self):
        cipher = FieldCipher(DEV_ENCRYPTION_KEYS, DEV_BLIND_INDEX_KEY)
        token = cipher.encrypt("140302198001011234", context="a")
        assert "140302198001011234" not in token
        assert cipher.decrypt(token, context="a") == "140302198001011234"
        with pytest.raises(DecryptionError):
            cipher.decrypt(token, context="b")

    def test_rotation_decrypts_with_an_older_key(self):
        old = FieldCipher(DEV_ENCRYPTION_KEYS, DEV_BLIND_INDEX_KEY)
        token = old.encrypt("secret", context="c")
        new_key = "k2:" + "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE="
        rotated = FieldCipher(new_key + "," + DEV_ENCRYPTION_KEYS, DEV_BLIND_INDEX_KEY)
        assert rotated.decrypt(token, context="c") == "secret"
        assert rotated.encrypt("x", context="c").startswith("aes256gcm:k2.")  # suite and key id

    def test_blind_index_is_stable_and_normalised(self):
        cipher = FieldCipher(DEV_ENCRYPTION_KEYS, DEV_BLIND_INDEX_KEY)
        assert cipher.blind_index("11010519491231002x", purpose="id") == cipher.blind_index(
            " 11010519491231002X", purpose="id"
        )
        assert cipher.blind_index("a", purpose="id") != cipher.blind_index("a", purpose="phone")


def test_problem_field_paths_name_the_field():
    assert field_path(("body", "household", 0, "id_number")) == "household[0].id_number"
    assert field_path(("query", "limit")) == "query.limit"


class TestSettings:
    def test_service_prefix_wins_over_the_shared_one(self, monkeypatch):
        from services.intake.settings import IntakeSettings

        monkeypatch.setenv("ASSISTANCE_TOPIC_PREFIX", "shared")
        monkeypatch.setenv("ASSISTANCE_BUS", "kafka")
        monkeypatch.setenv("INTAKE_TOPIC_PREFIX", "own")
        settings = IntakeSettings()
        assert settings.topic_prefix == "own" and settings.bus == "kafka"
        assert settings.topic("intake") == "own.intake.v1"
        assert settings.dead_letter_topic() == "own.intake.dlq.v1"

    def test_production_refuses_development_keys(self):
        with pytest.raises(ValueError, match="development"):
            ServiceSettings(environment="production", database_url="postgresql+asyncpg://x/y")


class TestRouteTemplate:
    """Metrics, logs, spans and the audit log name a route by its full template (never ids or values)."""

    def _scope(self, template: str, path: str, **params: str) -> dict:
        class Route:
            pass

        route = Route()
        route.path = template
        return {"route": route, "path": path, "path_params": params}

    def test_a_route_of_a_nested_router_gets_its_prefix_back(self):
        from shared.logging import route_template

        scope = self._scope(
            "/townships/{township_code}/limits",
            "/approval/v1/townships/140302001/limits",
            township_code="140302001",
        )
        assert route_template(scope) == "/approval/v1/townships/{township_code}/limits"

    def test_a_full_route_and_no_route(self):
        from shared.logging import route_template

        assert (
            route_template(
                self._scope("/approval/v1/cases/{case_id}", "/approval/v1/cases/abc", case_id="abc")
            )
            == "/approval/v1/cases/{case_id}"
        )
        assert route_template({"path": "/nowhere"}) == "unmatched"
