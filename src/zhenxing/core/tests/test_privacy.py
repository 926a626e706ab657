import pytest

from zhenxing.core.privacy import mask_mobiles_in, strip_mobiles_in


@pytest.mark.parametrize(
    "written",
    [
        "13912345678",
        "139 1234 5678",
        "139-1234-5678",
        "139.1234.5678",
        "139 - 1234 - 5678",
        "139\u00a01234\u00a05678",
        "139\u200b1234\u200b5678",
        "139（1234）5678",
        "+8613912345678",
        "+86 139 1234 5678",
        "8613912345678",
        "008613912345678",
        "１３９１２３４５６７８",
        "＋８６ １３９ １２３４ ５６７８",
    ],
)
def test_every_written_form_of_a_mobile_number_is_removed(written):
    text = f"路口有垃圾，联系我{written}，谢谢"
    stripped = strip_mobiles_in(text)
    assert stripped == "路口有垃圾，联系我***，谢谢"
    assert not any(ch.isdigit() for ch in stripped)


@pytest.mark.parametrize(
    "kept",
    [
        "订单号 213912345678",  # twelve digits: not a mobile number
        "2026-11-28 13:45",
        "面积 1500 亩，投资 600 万元",
        "座机 0757-86281234",
        "1391234567",  # ten digits
    ],
)
def test_other_numbers_are_kept(kept):
    assert strip_mobiles_in(kept) == kept


def test_full_width_punctuation_is_untouched():
    assert strip_mobiles_in("已清理，（见照片）。") == "已清理，（见照片）。"


def test_staff_masking_is_unchanged():
    assert mask_mobiles_in("联系 13912345678") == "联系 139****5678"
