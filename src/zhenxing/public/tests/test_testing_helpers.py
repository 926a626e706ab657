from zhenxing.cases.models import Status
from zhenxing.public.testing import closed_case, publish_directly


def test_closed_case_is_published_with_both_photos(world, cats, private_media):
    case = closed_case(world, cats.garbage)
    assert case.status == Status.CLOSED
    publication = publish_directly(case, actor=world.admin)
    assert publication.before_photo and publication.after_photo
    assert publication.place == "社区甲 甲一片区"
