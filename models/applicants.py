"""Who may apply to OCOP (chủ thể). Their names in words are in `models.labels`."""

from enum import StrEnum


class ApplicantKind(StrEnum):
    ENTERPRISE = "enterprise"  # doanh nghiệp
    COOPERATIVE = "cooperative"  # hợp tác xã
    COOPERATIVE_GROUP = "cooperative_group"  # tổ hợp tác
    HOUSEHOLD = "household"  # hộ sản xuất / cơ sở sản xuất


class RegistrationKind(StrEnum):
    FIRST = "first"  # đánh giá lần đầu
    UPGRADE = "upgrade"  # nâng hạng
    REEVALUATION = "reevaluation"  # đánh giá lại khi hết hạn
