from __future__ import annotations

from django.contrib.auth.backends import ModelBackend

from zhenxing.people.models import User


class UsernameOrMobileBackend(ModelBackend):
    """Staff type either their username or their 11-digit mobile number.

    An exact username wins over a mobile number: a login whose username looks
    like someone else's mobile (allowed before `services.check_username`
    refused it) must not make either login depend on which row the database
    returns first.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(User.USERNAME_FIELD)
        if not username or password is None:
            return None
        identifier = username.strip()
        user = (
            User.objects.filter(username=identifier).first()
            or User.objects.filter(mobile=identifier).first()
        )
        if user is None:
            # Spend the same time as a real check so that response times do
            # not reveal which identifiers exist.
            User().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
