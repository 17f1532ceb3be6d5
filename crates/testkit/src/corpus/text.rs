//! Word material for the corpus: people, subjects and sentences in English, German, French and
//! Japanese. All addresses use reserved example domains.

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Lang {
    En,
    De,
    Fr,
    Ja,
}

pub(crate) struct Person {
    pub name: &'static str,
    /// Used in greetings.
    pub first: &'static str,
    pub local: &'static str,
    /// `None`: the corpus's own domain (a colleague).
    pub domain: Option<&'static str>,
    pub lang: Lang,
    /// Minutes east of UTC.
    pub tz: i32,
}

const fn p(
    name: &'static str,
    first: &'static str,
    local: &'static str,
    domain: Option<&'static str>,
    lang: Lang,
    tz: i32,
) -> Person {
    Person {
        name,
        first,
        local,
        domain,
        lang,
        tz,
    }
}

pub(crate) const PEOPLE: &[Person] = &[
    p(
        "Maria Garcia",
        "Maria",
        "maria.garcia",
        Some("example.com"),
        Lang::En,
        -300,
    ),
    p(
        "David Chen",
        "David",
        "david.chen",
        Some("example.org"),
        Lang::En,
        -480,
    ),
    p(
        "Priya Patel",
        "Priya",
        "priya",
        Some("example.net"),
        Lang::En,
        330,
    ),
    p("Tom Baker", "Tom", "tbaker", None, Lang::En, 0),
    p("Sarah Johnson", "Sarah", "sarah.johnson", None, Lang::En, 0),
    p(
        "Smith, John",
        "John",
        "john.smith",
        Some("corp.example"),
        Lang::En,
        -300,
    ),
    p(
        "Zoë Adams",
        "Zoë",
        "zoe.adams",
        Some("example.com"),
        Lang::En,
        60,
    ),
    p(
        "Siobhan O'Connor",
        "Siobhan",
        "siobhan",
        Some("example.net"),
        Lang::En,
        0,
    ),
    p(
        "Jürgen Müller",
        "Jürgen",
        "juergen.mueller",
        Some("firma.example"),
        Lang::De,
        60,
    ),
    p(
        "Anja Schröder",
        "Anja",
        "anja.schroeder",
        Some("firma.example"),
        Lang::De,
        60,
    ),
    p(
        "Björn Weiß",
        "Björn",
        "bjoern",
        Some("beispiel.example"),
        Lang::De,
        60,
    ),
    p("Katrin Bäcker", "Katrin", "k.baecker", None, Lang::De, 60),
    p(
        "François Lefèvre",
        "François",
        "francois.lefevre",
        Some("societe.example"),
        Lang::Fr,
        60,
    ),
    p(
        "Hélène Dubois",
        "Hélène",
        "helene.dubois",
        Some("societe.example"),
        Lang::Fr,
        60,
    ),
    p(
        "Jérôme Gauthier",
        "Jérôme",
        "jgauthier",
        Some("exemple.example"),
        Lang::Fr,
        60,
    ),
    p("Élodie Moreau", "Élodie", "elodie", None, Lang::Fr, 60),
    p(
        "山田 太郎",
        "山田",
        "yamada",
        Some("kaisha.example"),
        Lang::Ja,
        540,
    ),
    p(
        "佐藤 花子",
        "佐藤",
        "sato.hanako",
        Some("kaisha.example"),
        Lang::Ja,
        540,
    ),
    p(
        "鈴木 一郎",
        "鈴木",
        "suzuki",
        Some("shisha.example"),
        Lang::Ja,
        540,
    ),
    p("高橋 美咲", "高橋", "misaki.takahashi", None, Lang::Ja, 540),
];

/// The mailbox owner: every message of the corpus is addressed to this person.
pub(crate) const OWNER_NAME: &str = "Alex Morgan";
pub(crate) const OWNER_FIRST: &str = "Alex";
pub(crate) const OWNER_LOCAL: &str = "alex.morgan";

pub(crate) fn subjects(lang: Lang) -> &'static [&'static str] {
    match lang {
        Lang::En => &[
            "Quarterly report draft",
            "Lunch on Friday?",
            "Meeting notes from Tuesday",
            "Invoice #{n}",
            "Project timeline",
            "Your order #{n} has shipped",
            "Quick question about the API",
            "Holiday plans",
            "Budget review {year}",
            "Welcome to the team!",
            "Server maintenance window",
            "Updated slides for tomorrow",
            "Reminder: dentist appointment",
            "Photos from the trip",
            "Contract renewal",
            "Code review request: fix-sync-{n}",
            "Can we move our call to 3pm?",
            "Travel reimbursement",
            "Offsite agenda (draft)",
            "The numbers you asked for",
        ],
        Lang::De => &[
            "Angebot für das Projekt",
            "Besprechung am Donnerstag",
            "Rechnung Nr. {n}",
            "Grüße aus München",
            "Urlaubsplanung {year}",
            "Protokoll der Sitzung",
            "Änderungen am Vertrag",
            "Frage zur Lieferung",
            "Einladung zum Sommerfest",
            "Überarbeitete Präsentation",
            "Termin für die Abnahme",
            "Kurze Rückfrage zum Angebot",
        ],
        Lang::Fr => &[
            "Réunion de lundi",
            "Facture n° {n}",
            "Compte rendu de la réunion",
            "Vacances d'été",
            "Présentation révisée",
            "Question sur la livraison",
            "Invitation : fête de fin d'année",
            "Café demain ?",
            "Mise à jour du planning",
            "Problème d'accès au serveur",
            "Devis pour le déménagement",
        ],
        Lang::Ja => &[
            "会議の議事録について",
            "来週の打ち合わせ",
            "請求書の送付 (No.{n})",
            "お世話になっております",
            "資料の確認のお願い",
            "出張の件",
            "新年会のお知らせ",
            "見積書をお送りします",
            "サーバーメンテナンスのお知らせ",
            "週報 第{n}号",
        ],
    }
}

pub(crate) fn sentences(lang: Lang) -> &'static [&'static str] {
    match lang {
        Lang::En => &[
            "I had a look at the figures you sent over yesterday and most of them line up with what we expected.",
            "Could you double-check the totals in the second table before we send it to the client?",
            "The meeting has been moved to Thursday at 10:30 in the small conference room.",
            "Let me know if you need anything else from my side.",
            "We are still waiting for the final numbers from the finance team.",
            "I think we should ship the smaller change first and see how it behaves in production.",
            "Thanks again for your help with the migration last week, it went much smoother than planned.",
            "The build is green again after the fix to the flaky test.",
            "Attached you will find the latest version of the document with my comments.",
            "Please review the proposal when you get a chance; no rush, end of next week is fine.",
            "The delivery is scheduled for Monday morning between 8 and 12.",
            "I am out of the office until the 14th with limited access to email.",
            "Happy to jump on a quick call if that is easier.",
            "We found the root cause: a timeout that was set far too low on the load balancer.",
            "Our flight lands at 6pm, so we should be at the hotel by eight.",
            "The new version fixes the crash on start-up and makes search noticeably faster.",
            "Can you confirm the shipping address before I place the order?",
            "I have added the action items to the shared tracker.",
            "Costs came in about ten percent under budget this quarter.",
            "See you at the offsite!",
        ],
        Lang::De => &[
            "Vielen Dank für Ihre schnelle Rückmeldung.",
            "Anbei finden Sie das überarbeitete Angebot mit den besprochenen Änderungen.",
            "Die Besprechung wurde auf Donnerstag, 14 Uhr, verschoben.",
            "Könnten Sie bitte die Zahlen in der zweiten Tabelle noch einmal prüfen?",
            "Die Lieferung erfolgt voraussichtlich Anfang nächster Woche.",
            "Ich bin bis zum 14. nicht im Büro und habe nur eingeschränkt Zugriff auf E-Mails.",
            "Für Rückfragen stehe ich Ihnen gerne zur Verfügung.",
            "Wir haben die Ursache gefunden: ein Zeitlimit war viel zu knapp eingestellt.",
            "Das Protokoll der letzten Sitzung liegt im gemeinsamen Ordner.",
            "Größere Änderungen sollten wir vorher kurz abstimmen.",
            "Die Kosten liegen in diesem Quartal etwa zehn Prozent unter dem Plan.",
            "Schöne Grüße aus dem verschneiten Süden!",
            "Über eine kurze Bestätigung würde ich mich freuen.",
            "Die neue Version behebt den Absturz beim Start und die Suche ist spürbar schneller.",
        ],
        Lang::Fr => &[
            "Merci pour votre retour rapide.",
            "Vous trouverez ci-joint la présentation révisée avec mes commentaires.",
            "La réunion est déplacée à jeudi à 14 h dans la grande salle.",
            "Pourriez-vous vérifier les chiffres du deuxième tableau avant l'envoi ?",
            "La livraison est prévue en début de semaine prochaine.",
            "Je serai absent jusqu'au 14 avec un accès limité à ma messagerie.",
            "N'hésitez pas à me contacter si vous avez des questions.",
            "Nous avons trouvé la cause : un délai d'attente réglé beaucoup trop court.",
            "Le compte rendu de la dernière réunion est dans le dossier partagé.",
            "Les coûts sont environ dix pour cent sous le budget ce trimestre.",
            "On se retrouve au café à côté du bureau à midi ?",
            "La nouvelle version corrige le plantage au démarrage et la recherche est bien plus rapide.",
            "Bonne fin de semaine à toute l'équipe !",
        ],
        Lang::Ja => &[
            "いつも大変お世話になっております。",
            "先日の打ち合わせではありがとうございました。",
            "資料を添付いたしましたので、ご確認いただけますと幸いです。",
            "会議は木曜日の午後二時に変更となりました。",
            "お手数ですが、二つ目の表の数値をご確認いただけますでしょうか。",
            "納品は来週の月曜日を予定しております。",
            "十四日まで不在にしており、メールの確認が遅れる場合がございます。",
            "ご不明な点がございましたら、お気軽にお問い合わせください。",
            "原因はロードバランサーのタイムアウト設定でした。",
            "今期の費用は予算を約一割下回りました。",
            "新しいバージョンでは起動時のクラッシュが修正され、検索も速くなりました。",
            "引き続きよろしくお願いいたします。",
        ],
    }
}

pub(crate) fn greeting(lang: Lang, first: &str) -> String {
    match lang {
        Lang::En => format!("Hi {first},"),
        Lang::De => format!("Hallo {first},"),
        Lang::Fr => format!("Bonjour {first},"),
        Lang::Ja => format!("{first}さん\r\n\r\nお疲れ様です。"),
    }
}

pub(crate) fn closing(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "Best regards,",
        Lang::De => "Viele Grüße",
        Lang::Fr => "Cordialement,",
        Lang::Ja => "よろしくお願いいたします。",
    }
}

/// The line introducing a quoted message in a reply.
pub(crate) fn quote_intro(lang: Lang, date: &str, name: &str) -> String {
    match lang {
        Lang::En => format!("On {date}, {name} wrote:"),
        Lang::De => format!("Am {date} schrieb {name}:"),
        Lang::Fr => format!("Le {date}, {name} a écrit :"),
        Lang::Ja => format!("{date} {name} さんは書きました:"),
    }
}

pub(crate) fn reply_prefix(lang: Lang, variant: u64) -> &'static str {
    match (lang, variant % 3) {
        (Lang::De, 0) => "AW: ",
        (Lang::Fr, 0) => "RE : ",
        _ => "Re: ",
    }
}

pub(crate) struct Newsletter {
    pub name: &'static str,
    pub addr: &'static str,
    pub list_id: &'static str,
    pub subject: &'static str,
    pub headline: &'static str,
    pub lang: Lang,
}

pub(crate) const NEWSLETTERS: &[Newsletter] = &[
    Newsletter {
        name: "Systems Weekly",
        addr: "newsletter@news.example",
        list_id: "Systems Weekly <weekly.news.example>",
        subject: "This week in systems programming #{n}",
        headline: "Faster builds, safer code and a look at async runtimes",
        lang: Lang::En,
    },
    Newsletter {
        name: "Fahrrad-Laden",
        addr: "angebote@shop.example",
        list_id: "<angebote.shop.example>",
        subject: "Nur heute: 20 % Rabatt auf Zubehör 🚲",
        headline: "Frühlingsangebote für Ihr Fahrrad",
        lang: Lang::De,
    },
    Newsletter {
        name: "La Gazette du Quartier",
        addr: "info@gazette.example",
        list_id: "<lettre.gazette.example>",
        subject: "Les nouveautés de la semaine n° {n}",
        headline: "Marché de Noël, concerts et travaux de la rue principale",
        lang: Lang::Fr,
    },
];

pub(crate) const NOTIFICATION_TITLES: &[&str] = &[
    "Fix reconnect backoff after IDLE timeout",
    "Store: add FTS5 index for bodies",
    "Crash when a folder name contains a slash",
    "Speed up header sync with larger chunks",
    "UI: keyboard navigation in the message list",
    "Handle UIDVALIDITY change during sync",
];

pub(crate) const LIST_TOPICS: &[&str] = &[
    "Best way to share state between tasks?",
    "Announcing version 0.12 of our parser crate",
    "Lifetimes in async closures",
    "How do you structure integration tests?",
    "Cross-compiling for ARM from Linux",
];

pub(crate) const ATTACHMENT_NAMES: &[(&str, &str)] = &[
    ("report-Q{n}.pdf", "application/pdf"),
    ("IMG_{n}.jpg", "image/jpeg"),
    ("screenshot-{n}.png", "image/png"),
    ("data-{n}.csv", "text/csv"),
    (
        "Angebot_{n}.docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
    ("Präsentation {n}.pdf", "application/pdf"),
    ("Relevé de compte {n}.pdf", "application/pdf"),
    ("見積書_{n}.pdf", "application/pdf"),
    ("archive-{n}.zip", "application/zip"),
    ("notes-{n}.txt", "text/plain"),
    (
        "budget-{n}.xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
    ("invite-{n}.ics", "text/calendar"),
];
