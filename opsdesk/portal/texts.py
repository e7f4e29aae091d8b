"""What the customer link says, in the customer's language (tr, en).

Django's i18n is not set up for opsdesk, so the portal keeps its few strings
here, one dict per language, and formats dates itself (day and month names).
"""

from __future__ import annotations

import datetime as dt

LANGUAGES = ("tr", "en")

TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Your order",
        "order_number": "Order {number}",
        "service": "Service",
        "address": "Address",
        "visit": "Your visit",
        "visit_when": "{day}, {time}",
        "no_visit": "No visit is booked yet.",
        "add_to_calendar": "Add to calendar",
        # The status line.
        "status_received": "We have received your order and will ask you to confirm it.",
        "status_confirmed": "Your order is confirmed. We are booking your visit.",
        "status_scheduled": "Your visit is booked for {day}, {time}.",
        "status_on_the_way": "Our technician is on the way.",
        "status_on_the_way_eta": "{name}, our technician, is on the way: arriving around {eta}.",
        "status_completed": "The work is complete. Thank you!",
        "status_cancelled": "Your order is cancelled.",
        "status_contact": "We will contact you about your order.",
        "status_closed": "Your order is closed.",
        "request_title": "Your request",
        "status_request": "Your request {number} is at this step: {step}.",
        # Payment (a quote on the case).
        "payment": "Payment",
        "total": "Total",
        "due_now": "Due now",
        "pay_now": "Pay now",
        "payment_link": "Get a payment link",
        "paid_in_full": "Paid in full. Thank you!",
        # The steps.
        "progress": "Progress",
        "step_received": "Order received",
        "step_confirmed": "Confirmed",
        "step_scheduled": "Visit booked",
        "step_on_the_way": "Technician on the way",
        "step_completed": "Completed",
        "step_cancelled": "Cancelled",
        "done": "done",
        "not_yet": "not yet",
        # Changes.
        "changes_until": "You can change or cancel your visit until {when}.",
        "changes_closed": "Changes are possible up to {until} before the visit, so this one "
        "can no longer be changed here. Please call us if you need to change it.",
        "reschedule": "Choose another time",
        "reschedule_pick": "Free times",
        "reschedule_submit": "Move my visit",
        "reschedule_none": "There are no other free times at the moment.",
        "cancel": "Cancel my order",
        "cancel_title": "Cancel your order?",
        "cancel_question": "Do you really want to cancel your {service} order?",
        "cancel_visit": "Your visit on {day}, {time} will be cancelled.",
        "cancel_confirm": "Yes, cancel my order",
        "cancel_keep": "No, keep my order",
        "back": "Back to my order",
        # Outcomes.
        "done_rescheduled": "Your visit has moved to {day}, {time}.",
        "done_cancelled": "Your order is cancelled.",
        "err_start_missing": "Please choose a time.",
        "err_start_invalid": "This is not a time we can offer. Please choose one from the list.",
        "err_same_slot": "Your visit is already at this time.",
        "err_slot_full": "Sorry, this time has just been taken. Please choose another one.",
        "err_deadline": "Changes are possible up to {until} before the visit, so this one "
        "can no longer be changed here. Please call us.",
        "err_no_reschedule": "Your visit cannot be changed at this stage of your order.",
        "err_no_cancel": "Your order cannot be cancelled here at this stage.",
        "err_closed": "Your order is closed, so it can no longer be changed.",
        "err_changed": "Your order changed in the meantime. Please look at the page again.",
        # The calendar entry.
        "ics_summary": "Visit: {service}",
        "ics_description": "Our technician comes for your {service} (order {number}). "
        "To see the status, reschedule or cancel: {link}",
        # The link that no longer works.
        "invalid_title": "This link is no longer valid",
        "invalid_text": "The link may have expired. Please use the link in the latest message "
        "we sent you, or contact us.",
        "language": "Türkçe",
    },
    "tr": {
        "title": "Siparişiniz",
        "order_number": "Sipariş {number}",
        "service": "Hizmet",
        "address": "Adres",
        "visit": "Ziyaretiniz",
        "visit_when": "{day}, {time}",
        "no_visit": "Henüz bir ziyaret randevusu yok.",
        "add_to_calendar": "Takvime ekle",
        "status_received": "Siparişinizi aldık, onayınızı isteyeceğiz.",
        "status_confirmed": "Siparişiniz onaylandı. Ziyaretinizi planlıyoruz.",
        "status_scheduled": "Ziyaretiniz {day}, {time} için planlandı.",
        "status_on_the_way": "Teknisyenimiz yolda.",
        "status_on_the_way_eta": "Teknisyenimiz {name} yolda, tahmini varış saati {eta}.",
        "status_completed": "İşleminiz tamamlandı. Teşekkürler!",
        "status_cancelled": "Siparişiniz iptal edildi.",
        "status_contact": "Siparişinizle ilgili sizinle iletişime geçeceğiz.",
        "status_closed": "Siparişiniz kapatıldı.",
        "request_title": "Talebiniz",
        "status_request": "{number} numaralı talebiniz şu adımda: {step}.",
        "payment": "Ödeme",
        "total": "Toplam",
        "due_now": "Şimdi ödenecek",
        "pay_now": "Şimdi öde",
        "payment_link": "Ödeme bağlantısı al",
        "paid_in_full": "Tamamı ödendi. Teşekkürler!",
        "progress": "Durum",
        "step_received": "Sipariş alındı",
        "step_confirmed": "Onaylandı",
        "step_scheduled": "Randevu verildi",
        "step_on_the_way": "Teknisyen yolda",
        "step_completed": "Tamamlandı",
        "step_cancelled": "İptal edildi",
        "done": "tamam",
        "not_yet": "henüz değil",
        "changes_until": "Ziyaretinizi {when} tarihine kadar değiştirebilir veya iptal "
        "edebilirsiniz.",
        "changes_closed": "Değişiklikler ziyaretten en geç {until} önce yapılabilir; bu ziyaret "
        "artık buradan değiştirilemez. Değiştirmeniz gerekirse lütfen bizi arayın.",
        "reschedule": "Başka bir zaman seçin",
        "reschedule_pick": "Uygun zamanlar",
        "reschedule_submit": "Randevumu taşı",
        "reschedule_none": "Şu anda başka uygun zaman yok.",
        "cancel": "Siparişimi iptal et",
        "cancel_title": "Siparişiniz iptal edilsin mi?",
        "cancel_question": "{service} siparişinizi iptal etmek istediğinizden emin misiniz?",
        "cancel_visit": "{day}, {time} tarihindeki ziyaretiniz iptal edilecek.",
        "cancel_confirm": "Evet, siparişimi iptal et",
        "cancel_keep": "Hayır, siparişim kalsın",
        "back": "Siparişime dön",
        "done_rescheduled": "Ziyaretiniz {day}, {time} olarak değişti.",
        "done_cancelled": "Siparişiniz iptal edildi.",
        "err_start_missing": "Lütfen bir zaman seçin.",
        "err_start_invalid": "Bu zamanı sunamıyoruz. Lütfen listeden bir zaman seçin.",
        "err_same_slot": "Ziyaretiniz zaten bu zamanda.",
        "err_slot_full": "Üzgünüz, bu zaman az önce doldu. Lütfen başka bir zaman seçin.",
        "err_deadline": "Değişiklikler ziyaretten en geç {until} önce yapılabilir; bu ziyaret "
        "artık buradan değiştirilemez. Lütfen bizi arayın.",
        "err_no_reschedule": "Siparişinizin bu aşamasında ziyaret zamanı değiştirilemez.",
        "err_no_cancel": "Siparişinizin bu aşamasında buradan iptal yapılamaz.",
        "err_closed": "Siparişiniz kapandığı için artık değiştirilemez.",
        "err_changed": "Siparişiniz bu arada değişti. Lütfen sayfaya yeniden bakın.",
        "ics_summary": "Ziyaret: {service}",
        "ics_description": "Teknisyenimiz {service} için geliyor (sipariş {number}). "
        "Durumu görmek, değiştirmek veya iptal etmek için: {link}",
        "invalid_title": "Bu bağlantı artık geçerli değil",
        "invalid_text": "Bağlantının süresi dolmuş olabilir. Lütfen size gönderdiğimiz son "
        "mesajdaki bağlantıyı kullanın veya bizimle iletişime geçin.",
        "language": "English",
    },
}

_DAYS = {
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
    "tr": ("Pazartesi", "Salı", "Çarşamba", "Perşembe", "Cuma", "Cumartesi", "Pazar"),
}
_MONTHS = {
    "en": (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
    "tr": (
        "Ocak",
        "Şubat",
        "Mart",
        "Nisan",
        "Mayıs",
        "Haziran",
        "Temmuz",
        "Ağustos",
        "Eylül",
        "Ekim",
        "Kasım",
        "Aralık",
    ),
}
_UNITS = {
    "en": {
        "business_days": "business days",
        "business_hours": "business hours",
        "days": "days",
        "hours": "hours",
        "minutes": "minutes",
    },
    "tr": {
        "business_days": "iş günü",
        "business_hours": "iş saati",
        "days": "gün",
        "hours": "saat",
        "minutes": "dakika",
    },
}


def language(*candidates: str | None) -> str:
    """The first candidate the portal speaks; English when none does."""
    for lang in candidates:
        if lang in LANGUAGES:
            return lang
    return "en"


def t(lang: str, key: str, **values: object) -> str:
    text = TEXTS[language(lang)][key]
    return text.format(**values) if values else text


def day(value: dt.date, lang: str) -> str:
    """ "Tuesday 3 November 2026" / "3 Kasım 2026 Salı"."""
    lang = language(lang)
    name, month = _DAYS[lang][value.weekday()], _MONTHS[lang][value.month - 1]
    if lang == "tr":
        return f"{value.day} {month} {value.year} {name}"
    return f"{name} {value.day} {month} {value.year}"


def clock(value: dt.datetime) -> str:
    return f"{value:%H:%M}"


def span(start: dt.datetime, end: dt.datetime) -> str:
    """ "09:00–11:00" (both local)."""
    return f"{clock(start)}–{clock(end)}"


def duration(units: dict[str, float | int | None], lang: str) -> str:
    """A playbook Duration's one unit in words: "24 hours" / "24 saat"."""
    for unit, amount in units.items():
        if amount is not None:
            number = int(amount) if float(amount).is_integer() else amount
            return f"{number} {_UNITS[language(lang)][unit]}"
    return ""
