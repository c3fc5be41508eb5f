"""The demo scheme's documents: realistic wording a coordinator can adapt."""

DOCUMENTS = {
    "privacy_notice": (
        "Privacy notice",
        """
We (the scheme's host institution) are the data controller for the personal data you give the scheme.

**What we hold.** Your name, work email, institution, role, career stage, research interests and the
profile text you write; your consents and the document versions you agreed to; your mentoring
relationship records.

**Identity data.** Questions about ethnicity, gender, disability, caring responsibilities and similar
are optional, and each offers "prefer not to say". These answers are *special-category data* under
Article 9 of the UK GDPR. We process them only with your explicit consent, and only for the uses you
tick: (a) matching you with a mentor who shares the characteristics you ask for, and (b) anonymous
equity reports in which no group of fewer than five people is ever shown. They are kept apart from
your profile, never appear in emails, and you can withdraw consent at any time — your answers are then
erased at once.

**Retention.** Identity answers are erased when you withdraw consent or leave the scheme and ask us to;
other records are kept for two years after your last mentoring relationship ends, then deleted or
anonymised.

**Your rights.** You may see, correct, export or erase your data, and complain to the Information
Commissioner's Office.
""",
    ),
    "code_of_conduct": (
        "Code of conduct",
        """
- Treat every participant with respect, whatever their seniority.
- Keep to the boundaries agreed in your mentoring agreement; meetings are professional.
- Harassment, bullying and discrimination are never acceptable. Concerns can be raised confidentially
  with the scheme's safeguarding lead, named or anonymously.
- Either person may end a mentoring relationship at any time, without giving a reason.
""",
    ),
    "confidentiality": (
        "Confidentiality agreement",
        """
What is discussed in mentoring stays between mentor and mentee, unless both agree otherwise, or
someone is at risk of serious harm. Do not share other participants' details outside the scheme.
""",
    ),
    "information_sheet": (
        "Participant information sheet",
        """
The scheme connects women from minority ethnic backgrounds working in academic medicine and the
health sciences, as mentees, mentors or both.

**Evaluation.** We evaluate the scheme with short anonymous questionnaires before mentoring starts
and six months later. Taking part in the evaluation is entirely voluntary and separate from taking
part in the scheme; your answers cannot be linked back to you.
""",
    ),
    "consent": (
        "Consent to take part",
        """
I have read the participant information sheet and privacy notice. I understand that taking part is
voluntary and that I may withdraw at any time without giving a reason. I agree that my profile may be
shown to other registered members of the scheme as described.
""",
    ),
    "matching": (
        "How matching works",
        """
Mentors publish a short profile. Mentees read the directory and rank up to three mentors. We honour
choices where mentors have capacity: nobody is left apart from a mentor who would also rather have
had them. Where choices are full, or a mentee makes none, we propose a mentor by relative seniority,
shared research interests and any shared characteristics the mentee asked for. Mentor and mentee are
always from different institutions. Every proposal says why it was made, and either person may decline
without giving a reason.
""",
    ),
}
