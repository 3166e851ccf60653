"""Outgoing e-mail (password reset links, registration notices) through the SMTP server
configured by ``MAIL_SERVER``/``MAIL_PORT``/``MAIL_USE_TLS``/``MAIL_USE_SSL``/
``MAIL_USERNAME``/``MAIL_PASSWORD``/``MAIL_FROM``.  Without ``MAIL_SERVER`` nothing is sent
(a warning is logged): the phone-only reset by a unit manager or organiser still works."""
from __future__ import annotations

import hashlib
import logging
import smtplib
from email.message import EmailMessage

from flask import current_app

log = logging.getLogger(__name__)


def _recipient_allowed(to: str) -> bool:
    """At most ``MAIL_PER_RECIPIENT_LIMIT`` mails to one address (shared by every process through the
    rate-limit storage): a stranger cannot flood someone's inbox with reset links or notices."""
    from limits import parse_many

    from quizapp.extensions import limiter

    key = hashlib.sha256(to.strip().lower().encode()).hexdigest()[:32]
    try:
        limits = parse_many(current_app.config.get("MAIL_PER_RECIPIENT_LIMIT") or "3 per hour")
        allowed = [limiter.limiter.test(item, "mail-recipient", key) for item in limits]
        if not all(allowed):
            return False
        for item in limits:
            limiter.limiter.hit(item, "mail-recipient", key)
    except Exception:  # pragma: no cover - a storage outage must not stop the mail
        log.warning("mail limit storage unavailable", exc_info=True)
    return True


def configured() -> bool:
    """Whether this installation can send e-mail at all (``MAIL_SERVER`` is set)."""
    return bool(current_app.config.get("MAIL_SERVER"))


def send(to: str, subject: str, body: str) -> bool:
    cfg = current_app.config
    server = cfg.get("MAIL_SERVER")
    if not server:
        log.warning("MAIL_SERVER is not set: an e-mail was not sent")
        return False
    if not _recipient_allowed(to):
        log.warning("e-mail not sent: the recipient's limit (MAIL_PER_RECIPIENT_LIMIT) is reached")
        return False
    msg = EmailMessage()
    msg["From"] = cfg.get("MAIL_FROM") or "no-reply@localhost"
    msg["To"] = to
    msg["Subject"] = subject
    msg.set_content(body)
    port = int(cfg.get("MAIL_PORT") or 25)
    timeout = float(cfg.get("MAIL_TIMEOUT", 10))
    try:
        smtp_class = smtplib.SMTP_SSL if cfg.get("MAIL_USE_SSL") else smtplib.SMTP
        with smtp_class(server, port, timeout=timeout) as smtp:
            if cfg.get("MAIL_USE_TLS") and not cfg.get("MAIL_USE_SSL"):
                smtp.starttls()
            if cfg.get("MAIL_USERNAME"):
                smtp.login(cfg["MAIL_USERNAME"], cfg.get("MAIL_PASSWORD") or "")
            smtp.send_message(msg)
    except (OSError, smtplib.SMTPException) as exc:
        # Never a 500 for the user: the page says the same whether or not a mail went out.
        log.warning("e-mail not sent: %s", exc.__class__.__name__)
        return False
    return True


def send_reset_link(to: str, link: str, minutes: int) -> bool:
    return send(to, "Đặt lại mật khẩu / Password reset",
                "Bạn (hoặc ai đó) đã yêu cầu đặt lại mật khẩu tài khoản thi trực tuyến.\n"
                f"Mở liên kết sau trong vòng {minutes} phút để đặt mật khẩu mới (chỉ dùng được một lần):\n\n"
                f"{link}\n\n"
                "Nếu bạn không yêu cầu, hãy bỏ qua thư này; mật khẩu của bạn không đổi.\n")


def send_registration_notice(to: str) -> bool:
    return send(to, "Có người đăng ký bằng thông tin của bạn / Registration attempt",
                "Có người vừa đăng ký tài khoản thi trực tuyến bằng số điện thoại, e-mail hoặc số CCCD "
                "đã gắn với tài khoản của bạn. Không có tài khoản mới nào được tạo.\n"
                "Nếu đó là bạn: hãy đăng nhập, hoặc dùng \"Quên mật khẩu?\" trên trang đăng nhập.\n"
                "Nếu không phải bạn: hãy báo cho người quản lý đơn vị hoặc ban tổ chức.\n")
