"""Indonesian-or-English detection for short, informal chat messages.

Generic language identifiers guess badly on 2-5 word WhatsApp messages full of slang and
English loanwords ("PO", "invoice", "survey"), and the assistant only has to choose between
two languages. So this counts marker words: Indonesian function words and chat slang
("yg", "gak", "dong", "kak", "sy") against English function words. Loanwords that both
groups of customers use ("ok", "thanks", "invoice", "status", "hello") count for neither,
so "ok", "12" or "thanks" return None and the conversation keeps its language.
"""
from __future__ import annotations

import re
from typing import Optional, Tuple

INDONESIAN = frozenset(
    """
    yang yg dan dgn dengan di ke dari dr untuk utk buat bwt saya sy aku aq gue gw gua kami kita
    anda kamu km kalian dia mereka mau mo pengen pingin ingin bisa bs bsa bisakah apa apakah
    gimana bagaimana gmn gmana gimn berapa brp brapa kapan kpn dimana mana siapa kenapa knp
    mengapa iya yaa yah dong donk sih deh nih kok kak kakak ka min mimin pak bu bapak ibu
    mas mbak mba gan sis tidak tdk gak nggak ngga nggk ga gk enggak engga ndak bukan udah udh
    sudah sdh belum blm belom blom ada adakah ini itu tsb tolong tlg mohon terima kasih makasih
    makasi mksh trims trimakasih terimakasih selamat pagi siang sore malam jam buka tutup
    alamat kantor harga biaya lama hari minggu bulan tahun thn bln juga jg lagi lg aja aj saja
    sj sama atau tapi tp tapi karena krn karna kalau kalo klo kl jika akan sedang boleh perlu
    harus hrs bikin kirim dikirim bayar cara caranya syarat syaratnya keluhan komplain saran
    masih sangat banget bgt sekali cepat lambat bagus jelek baik minta hubungi nya lah kah
    selesai terus trus gitu gini begitu sampai sampe dll dsb nomor alat ukur sertifikat
    angsuran cicilan pembiayaan kredit mobil motor bunga denda pelunasan lunas cabang pusat
    pabrik pesanan tagihan salah rusak terlambat telat sudahkah berapaan brapaan kena dapat
    dapet gabisa gbs gabs tau tahu kasih dikasih nanya tanya mnt sebentar bentar halo hallo
    permisi punten assalamualaikum wassalam sampai jumpa dah daah oke okey siap baik mantap
    kalibrasinya juga gak aja dulu nanti nnt ntar skrg sekarang besok lusa kemarin kmrn
    pembayaran bayarnya transfernya terimakasih orang manusia bicara ngobrol langsung
    asli beneran sedang lg pun jadi jd lebih kurang krg banyak sedikit semua
    """.split()
)

ENGLISH = frozenset(
    """
    the a an is are am was were be been being do does did don't dont doesn't didn't can can't
    cannot could would should will won't shall may might must i i'm im i'd i've my me mine you
    your you're yours we we're our ours us they their them it its it's this that these those
    what what's whats where where's when how how's why who which there here to of for with
    from about in on at by and or but if not want wanted need needs needed like know get got
    have has had having pay paid paying send sent make take tell ask asking help much many
    long open opening hours office address price prices cost costs any some more just also
    still yet already again after before go going good morning afternoon evening day days
    week weeks month months year years give let call contact speak talk person human real
    late fee fees early payoff documents document required requirements certificate
    certificates instrument instruments calibration calibrate calibrated financing finance
    loan installment instalment installments instalments payment payments down branch
    branches where's could you're anyone someone wrong broken damaged complaint
    complain feedback suggestion great terrible bad slow fast quick quickly soon name
    number email phone company which usually normally able possible accept accepted
    take takes taking does long bye goodbye see later that's there's here's let's i'll
    we'll you'll correct sounds right around anyone someone appreciated ahead yesterday
    today tomorrow win won yep nope team quote quotes calibrating recalibrate one two three
    four five six seven eight nine ten eleven twelve twenty hundred
    """.split()
)

_WORD_RE = re.compile(r"[a-z]+(?:'[a-z]+)?")
# E-mail addresses, links and reference numbers say nothing about the language.
_NOISE_RE = re.compile(r"\S+@\S+|https?://\S+|www\.\S+|\b(?:kal|fin|cmp|hof)-\S+")


def language_scores(text: str) -> Tuple[int, int]:
    """(Indonesian marker count, English marker count) for ``text``."""
    words = _WORD_RE.findall(_NOISE_RE.sub(" ", (text or "").lower()))
    id_score = sum(1 for w in words if w in INDONESIAN)
    en_score = sum(1 for w in words if w in ENGLISH and w not in INDONESIAN)
    return id_score, en_score


def detect_language(text: str) -> Optional[str]:
    """'id' or 'en' when the text clearly is one of them, else None (keep the current one).

    English needs at least two English markers and twice as many as Indonesian ones,
    because Indonesian customers sprinkle English words; Indonesian needs one marker and
    at least as many as English ("ok kak" is Indonesian, "ok" is undecided).
    """
    id_score, en_score = language_scores(text)
    if en_score >= 2 and en_score >= 2 * id_score + (1 if id_score else 0):
        return "en"
    if id_score >= 1 and id_score >= en_score:
        return "id"
    return None
