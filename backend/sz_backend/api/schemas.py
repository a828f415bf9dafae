"""Request bodies (pydantic). Limits here are the first line against bad input."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LoginRequest(Strict):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=128)


class ItemRequest(Strict):
    subject_id: int | None = Field(
        default=None, ge=1, le=2**31 - 1, description="The child's person id for items a guardian does for a child"
    )
    fields: dict[str, str | int] = Field(default_factory=dict, max_length=20)


class PaymentRequest(Strict):
    subject_id: int | None = Field(default=None, ge=1, le=2**31 - 1)


class RegistrationCodeRequest(Strict):
    """Step 1 of registration: the bank checks the card, a code goes to the phone it holds."""

    id_number: str = Field(min_length=15, max_length=24)
    name: str = Field(min_length=1, max_length=64)
    phone: str = Field(min_length=11, max_length=16, description="The phone number the bank holds for the card")
    bank_name: str = Field(min_length=2, max_length=32)
    bank_account: str = Field(min_length=10, max_length=34)
    bank_opened_in_shenzhen: bool


class RegisterAccountRequest(RegistrationCodeRequest):
    """Step 2: the same details, the account's user name and password, and the code received."""

    username: str = Field(min_length=4, max_length=32, pattern=r"^[A-Za-z0-9_.-]+$")
    password: str = Field(min_length=8, max_length=128)
    otp_id: str | None = Field(default=None, max_length=64, description="`otp_id` from POST /accounts/code")
    otp_code: str | None = Field(default=None, max_length=12, description="The code of the text message")


class RegistrationLinkRequest(RegistrationCodeRequest):
    """The chat's step 2: the same details and the code; the answer is a one-time page link
    where the person sets the user name and password (never typed into the chat)."""

    otp_id: str = Field(min_length=1, max_length=64, description="`otp_id` from POST /accounts/code")
    otp_code: str = Field(min_length=1, max_length=12, description="The code of the text message")


class RegistrationCheckRequest(Strict):
    """Registration details to check one by one (the chat checks each answer as it is given)."""

    fields: dict[str, str] = Field(max_length=8, description="name, id_number, bank_name, bank_account, phone")


class BindRequest(Strict):
    channel: str = Field(pattern=r"^(wechat|phone)$")
    external_id: str = Field(min_length=1, max_length=128)
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=128)


class ChannelTokenRequest(Strict):
    channel: str = Field(pattern=r"^(wechat|phone)$")
    external_id: str = Field(min_length=1, max_length=128)


class CallerVerifyRequest(Strict):
    phone: str = Field(min_length=5, max_length=20, pattern=r"^\+?[0-9]+$")
    id_last4: str = Field(min_length=4, max_length=4, pattern=r"^[0-9]{3}[0-9Xx]$")
    pin: str = Field(min_length=4, max_length=12, pattern=r"^[0-9]+$")


class ErrorBody(BaseModel):
    code: str
    message_zh: str
    message_en: str
    fix_zh: str | None = None
    fix_en: str | None = None
    field: str | None = None
    details: dict[str, Any] | None = None


class ErrorResponse(BaseModel):
    error: ErrorBody


class StaffLoginRequest(Strict):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=128)


class MaterialsRequest(Strict):
    received: list[int] = Field(min_length=1, max_length=50, description="indexes into the materials checklist")


class FinishRequest(Strict):
    originals: dict[str, str | int] = Field(
        default_factory=dict,
        max_length=20,
        description="values typed from the originals: full ID/account/phone numbers the record keeps masked, "
        "or corrections read from the documents",
    )


class ReturnRequest(Strict):
    reason: str = Field(min_length=2, max_length=200)
    bring: list[str] = Field(default_factory=list, max_length=10)
