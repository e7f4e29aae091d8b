"""What the customer link's feedback pages say, in the portal's languages (tr, en).

Kept beside the feedback app rather than in `opsdesk.portal.texts` so the two
change independently; the portal views merge them into the page's `t`.
"""

from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "give_feedback": "Give feedback",
        "feedback_title": "How did we do?",
        "feedback_rating": "Your rating",
        "rating_1": "1 – Very poor",
        "rating_2": "2 – Poor",
        "rating_3": "3 – Okay",
        "rating_4": "4 – Good",
        "rating_5": "5 – Excellent",
        "feedback_comment": "Your comment (optional)",
        "feedback_consent": "You may quote my feedback on your website",
        "feedback_submit": "Send my feedback",
        "feedback_thanks_title": "Thank you!",
        "feedback_thanks": "Thank you for your feedback. It helps us do better.",
        "feedback_given_title": "Feedback already given",
        "feedback_given": "We have already received your feedback on this order. Thank you!",
        "err_rating": "Please choose a rating from 1 to 5.",
        "err_comment": "Please keep your comment to 2000 characters or fewer.",
    },
    "tr": {
        "give_feedback": "Görüşünüzü bildirin",
        "feedback_title": "Nasıldık?",
        "feedback_rating": "Puanınız",
        "rating_1": "1 – Çok kötü",
        "rating_2": "2 – Kötü",
        "rating_3": "3 – Orta",
        "rating_4": "4 – İyi",
        "rating_5": "5 – Mükemmel",
        "feedback_comment": "Yorumunuz (isteğe bağlı)",
        "feedback_consent": "Görüşümü web sitenizde alıntılayabilirsiniz",
        "feedback_submit": "Görüşümü gönder",
        "feedback_thanks_title": "Teşekkürler!",
        "feedback_thanks": "Görüşünüz için teşekkür ederiz. Daha iyisini yapmamıza yardımcı olur.",
        "feedback_given_title": "Görüşünüz zaten alındı",
        "feedback_given": "Bu siparişle ilgili görüşünüzü zaten aldık. Teşekkürler!",
        "err_rating": "Lütfen 1 ile 5 arasında bir puan seçin.",
        "err_comment": "Lütfen yorumunuzu en fazla 2000 karakterle sınırlayın.",
    },
}
