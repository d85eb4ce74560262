"""Everything Seula says, in English and Finnish."""

from __future__ import annotations

from typing import Final

from bot.model import Language

_STRINGS: Final[dict[str, dict[Language, str]]] = {
    "experts.title": {
        "en": "People who know about {topic}",
        "fi": "Nämä kollegat tuntevat aiheen {topic}",
    },
    "experts.subtitle": {
        "en": "Suggested from what they wrote in public channels. Each link opens their own message.",
        "fi": "Ehdotettu sen perusteella, mitä he ovat kirjoittaneet julkisilla kanavilla. "
        "Linkit avaavat heidän omat viestinsä.",
    },
    "experts.none.title": {
        "en": "I couldn't find anyone who has written about {topic} yet",
        "fi": "En löytänyt vielä ketään, joka olisi kirjoittanut aiheesta {topic}",
    },
    "experts.none.body": {
        "en": "Try a shorter topic or another word for it, or ask in a channel: whoever answers may be "
        "suggested next time.",
        "fi": "Kokeile lyhyempää aihetta tai toista sanaa, tai kysy kanavalla: vastaaja voi tulla "
        "ehdotetuksi seuraavalla kerralla.",
    },
    "experts.why.answers": {
        "en": "Answered {answers} questions on this",
        "fi": "Vastannut {answers} kysymykseen aiheesta",
    },
    "experts.why.answer_one": {
        "en": "Answered a question on this",
        "fi": "Vastannut kysymykseen aiheesta",
    },
    "experts.why.posts": {
        "en": "Wrote about this",
        "fi": "Kirjoittanut aiheesta",
    },
    "experts.why.reactions": {
        "en": "{reactions} reactions from colleagues",
        "fi": "{reactions} reaktiota kollegoilta",
    },
    "experts.why.reaction_one": {
        "en": "1 reaction from a colleague",
        "fi": "1 reaktio kollegalta",
    },
    "experts.rising": {
        "en": "↗ Rising on {topic}: answering more of late",
        "fi": "↗ Nousussa aiheessa {topic}: vastannut viime aikoina yhä useammin",
    },
    "experts.evidence.answer": {"en": "Answer", "fi": "Vastaus"},
    "experts.evidence.post": {"en": "Post", "fi": "Viesti"},
    "experts.evidence.reactions": {"en": "{reactions} reactions", "fi": "{reactions} reaktiota"},
    "experts.evidence.reaction_one": {"en": "1 reaction", "fi": "1 reaktio"},
    "experts.chat": {"en": "Chat with {first_name}", "fi": "Keskustele: {first_name}"},
    "experts.chat.message": {
        "en": "Hi {first_name}! Seula suggested you might know about {topic}. Do you have a moment?",
        "fi": "Hei {first_name}! Seula ehdotti, että tiedät aiheesta {topic}. Ehtisitkö hetken?",
    },
    "experts.more": {"en": "Show more people", "fi": "Näytä lisää"},
    # Teams' own words for presence, so the card reads like the person's status in Teams.
    "presence.available": {"en": "Available", "fi": "Käytettävissä"},
    "presence.busy": {"en": "Busy", "fi": "Varattu"},
    "presence.do_not_disturb": {"en": "Do not disturb", "fi": "Älä häiritse"},
    "presence.away": {"en": "Away", "fi": "Poissa"},
    "presence.be_right_back": {"en": "Be right back", "fi": "Palaan pian"},
    "presence.offline": {"en": "Offline", "fi": "Offline-tilassa"},
    "experts.no_more": {
        "en": "That's everyone who has written about this.",
        "fi": "Siinä kaikki, jotka ovat kirjoittaneet aiheesta.",
    },
    "help.title": {
        "en": "Seula finds the colleagues who know",
        "fi": "Seula löytää kollegat, jotka tietävät",
    },
    "help.body": {
        "en": "Ask me who knows a topic, or paste a whole question. I suggest a few colleagues and show the "
        "messages that make me think so, with one click to start a chat.",
        "fi": "Kysy minulta, kuka osaa jonkin aiheen, tai liitä koko kysymys. Ehdotan muutamaa kollegaa, "
        "näytän viestit, joihin ehdotus perustuu, ja voit aloittaa keskustelun yhdellä napsautuksella.",
    },
    "help.unknown": {
        "en": "Sorry, I didn't understand that. Here is what I can do:",
        "fi": "Anteeksi, en ymmärtänyt. Tässä mitä osaan:",
    },
    "help.commands": {"en": "Commands", "fi": "Komennot"},
    "help.examples": {"en": "Try", "fi": "Kokeile"},
    "help.privacy": {
        "en": "I read messages in public channels of the teams I'm installed in, never private chats. "
        "Say **hide me** and I won't suggest you to anyone, **hide me from** a topic to skip just that one, "
        "or **show me only to my team**.",
        "fi": "Luen julkisten kanavien viestejä tiimeissä, joihin minut on asennettu, en koskaan "
        "yksityisiä keskusteluja. Sano **piilota minut**, niin en ehdota sinua kenellekään, **piilota minut "
        "aiheesta** ja aihe, niin et näy vain siinä, tai **näytä minut vain tiimilleni**.",
    },
    "welcome.title": {"en": "Hi, I'm Seula 👋", "fi": "Hei, olen Seula 👋"},
    "welcome.body": {
        "en": "I help you find the colleagues who know: ask **who knows** a topic and I'll suggest people "
        "who have answered questions about it, with links to what they wrote.",
        "fi": "Autan löytämään kollegat, jotka tietävät: kysy **kuka osaa** jokin aihe, niin ehdotan "
        "ihmisiä, jotka ovat vastanneet siitä kysymyksiin, ja linkitän heidän viestinsä.",
    },
    "welcome.reads.title": {"en": "What I read", "fi": "Mitä luen"},
    "welcome.reads": {
        "en": "Messages, replies and reactions in the public (standard) channels of teams where I'm "
        "installed, and people's names, job titles and managers from the directory. Never private chats, "
        "private channels or files.",
        "fi": "Viestejä, vastauksia ja reaktioita julkisilla (vakio)kanavilla tiimeissä, joihin minut on "
        "asennettu, sekä nimiä, tehtävänimikkeitä ja esihenkilöitä hakemistosta. En koskaan yksityisiä "
        "keskusteluja, yksityisiä kanavia tai tiedostoja.",
    },
    "welcome.optout.title": {"en": "Your choice", "fi": "Sinun valintasi"},
    "welcome.optout": {
        "en": "Say **hide me** and I'll never suggest you; **show me** undoes it.",
        "fi": "Sano **piilota minut**, niin en koskaan ehdota sinua; **näytä minut** peruu sen.",
    },
    "hidden.done": {
        "en": "Done: I won't suggest you to anyone. Say **show me** if you change your mind.",
        "fi": "Selvä: en ehdota sinua kenellekään. Sano **näytä minut**, jos muutat mielesi.",
    },
    "shown.done": {
        "en": "Welcome back: colleagues can find you again when they ask who knows.",
        "fi": "Tervetuloa takaisin: kollegat löytävät sinut taas, kun he kysyvät, kuka osaa.",
    },
    "hidden_topic.done": {
        "en": "Done: I won't suggest you for **{topic}**. Say **show me for {topic}** to undo it.",
        "fi": "Selvä: en ehdota sinua aiheesta **{topic}**. Sano **näytä minut aiheesta {topic}**, niin "
        "peruutan sen.",
    },
    "shown_topic.done": {
        "en": "Done: I may suggest you for **{topic}** again.",
        "fi": "Selvä: voin taas ehdottaa sinua aiheesta **{topic}**.",
    },
    "shown_topic.not_hidden": {
        "en": "You weren't hidden for **{topic}**. Say **what do you know about me** to see your choices.",
        "fi": "Et ollut piilotettuna aiheesta **{topic}**. Sano **mitä tiedät minusta**, niin näet "
        "valintasi.",
    },
    "team_only.done": {
        "en": "Done: I'll suggest you only to your own team (colleagues in your department, or with your "
        "manager if no department is set). Say **show me to everyone** to undo it.",
        "fi": "Selvä: ehdotan sinua vain omalle tiimillesi (saman osaston kollegoille, tai saman esihenkilön "
        "alaisille, jos osastoa ei ole merkitty). Sano **näytä minut kaikille**, niin peruutan sen.",
    },
    "everyone.done": {
        "en": "Done: colleagues anywhere in the organization can find you when they ask who knows.",
        "fi": "Selvä: kollegat koko organisaatiossa löytävät sinut, kun he kysyvät, kuka osaa.",
    },
    "identity.missing": {
        "en": "I can't tell who you are in this conversation, so I can't change your settings here. "
        "Try in a 1:1 chat with me.",
        "fi": "En tunnista sinua tässä keskustelussa, joten en voi muuttaa asetuksiasi täällä. "
        "Kokeile kahdenkeskisessä keskustelussa kanssani.",
    },
    "forget.title": {"en": "Forget me?", "fi": "Unohdetaanko sinut?"},
    "forget.body": {
        "en": "I will erase everything I hold about you: your messages as I read them, the reactions you "
        "gave, your settings and how to reach you. Colleagues' own messages stay. I will not read your "
        "messages again, and I keep only a record that an erasure happened, without your name. "
        "This can't be undone.",
        "fi": "Poistan kaiken, mitä minulla on sinusta: viestisi sellaisina kuin ne luin, antamasi reaktiot, "
        "asetuksesi ja yhteystietosi. Kollegoiden omat viestit jäävät. En lue viestejäsi enää, ja säilytän "
        "vain merkinnän siitä, että poisto tehtiin, ilman nimeäsi. Tätä ei voi perua.",
    },
    "forget.confirm": {"en": "Yes, forget me", "fi": "Kyllä, unohda minut"},
    "forget.done": {
        "en": "Done: I have erased what I held about you and won't read your messages again.",
        "fi": "Valmis: poistin sinusta olleet tiedot enkä lue viestejäsi enää.",
    },
    "profile.title": {"en": "What I know about you", "fi": "Mitä tiedän sinusta"},
    "profile.intro": {
        "en": "These are the topics I associate with you, from your own messages in public channels. "
        "When colleagues ask about them, I may suggest you.",
        "fi": "Nämä aiheet yhdistän sinuun omien viestiesi perusteella julkisilla kanavilla. "
        "Kun kollegat kysyvät niistä, saatan ehdottaa sinua.",
    },
    "profile.none": {
        "en": "I don't associate any topic with you yet: I haven't read enough of your messages.",
        "fi": "En vielä yhdistä sinuun yhtään aihetta: en ole lukenut tarpeeksi viestejäsi.",
    },
    "profile.suggested.title": {"en": "Suggested lately (30 days)", "fi": "Ehdotettu viime aikoina (30 pv)"},
    "profile.suggested.none": {
        "en": "Not suggested to anyone lately.",
        "fi": "Ei ehdotettu kenellekään viime aikoina.",
    },
    "profile.suggested.item": {"en": "{topic} ({times}×)", "fi": "{topic} ({times}×)"},
    "profile.hidden": {
        "en": "You are hidden: I suggest you to no one. Say **show me** to change that.",
        "fi": "Olet piilotettu: en ehdota sinua kenellekään. Sano **näytä minut**, niin muutan sen.",
    },
    "profile.visible": {
        "en": "Say **hide me** to never be suggested, **hide me from** a topic to skip one, "
        "**show me only to my team**, or **forget me** to erase all of this.",
        "fi": "Sano **piilota minut**, niin en ehdota sinua, **piilota minut aiheesta** ja aihe, niin ohitan "
        "sen, **näytä minut vain tiimilleni**, tai **unohda minut**, niin poistan kaiken tämän.",
    },
    "profile.choices.title": {"en": "Your choices", "fi": "Valintasi"},
    "profile.not_opted_in": {
        "en": "Your organization suggests only people who have agreed to it, and you haven't yet: I suggest "
        "you to no one. Say **show me** to be suggested.",
        "fi": "Organisaatiosi ehdottaa vain ihmisiä, jotka ovat suostuneet siihen, etkä ole vielä "
        "suostunut: en ehdota sinua kenellekään. Sano **näytä minut**, niin sinua voidaan ehdottaa.",
    },
    "profile.hidden_topic": {
        "en": "Not suggested for **{topic}**",
        "fi": "Ei ehdoteta aiheesta **{topic}**",
    },
    "profile.team_only": {
        "en": "Suggested only to your own team",
        "fi": "Ehdotetaan vain omalle tiimillesi",
    },
    "profile.undo.hidden": {"en": "Show me again", "fi": "Näytä minut taas"},
    "profile.undo.topic": {"en": "Show me for {topic}", "fi": "Näytä aiheesta {topic}"},
    "profile.undo.team_only": {"en": "Show me to everyone", "fi": "Näytä minut kaikille"},
    "summary.title": {"en": "Your team this month", "fi": "Tiimisi tämä kuukausi"},
    "summary.subtitle": {
        "en": "{people} people reporting to you · {since} – {until} · from public channels",
        "fi": "{people} henkilöä raportoi sinulle · {since} – {until} · julkisilta kanavilta",
    },
    "summary.small_team": {
        "en": "Your team is small, so I show only what singles no one out: open questions in your team's "
        "domain. Team topics, help between teams and recognitions need at least three people.",
        "fi": "Tiimisi on pieni, joten näytän vain sen, mikä ei nosta ketään esiin: tiimisi alan avoimet "
        "kysymykset. Tiimin aiheet, tiimien välinen apu ja huomionosoitukset vaativat vähintään kolme "
        "henkilöä.",
    },
    "summary.topics.title": {"en": "What the team wrote about", "fi": "Mistä tiimi kirjoitti"},
    "summary.topics.none": {
        "en": "No topic was shared by at least three of your people this month.",
        "fi": "Yksikään aihe ei ollut ainakaan kolmen tiimiläisesi yhteinen tässä kuussa.",
    },
    "summary.topics.chart": {"en": "Team topics", "fi": "Tiimin aiheet"},
    "summary.topics.axis": {"en": "Weight in the team's messages", "fi": "Paino tiimin viesteissä"},
    "summary.topics.previous": {"en": "Previous 30 days", "fi": "Edelliset 30 päivää"},
    "summary.topics.current": {"en": "Last 30 days", "fi": "Viimeiset 30 päivää"},
    "summary.movement.new": {"en": "new", "fi": "uusi"},
    "summary.movement.up": {"en": "rising", "fi": "kasvussa"},
    "summary.movement.steady": {"en": "steady", "fi": "ennallaan"},
    "summary.movement.down": {"en": "quieter", "fi": "hiljentynyt"},
    "summary.help.title": {"en": "Help between teams", "fi": "Apu tiimien välillä"},
    "summary.help.given": {"en": "Your team answered", "fi": "Tiimisi vastasi"},
    "summary.help.received": {"en": "Answered your team", "fi": "Vastasi tiimillesi"},
    "summary.help.axis": {"en": "Answers", "fi": "Vastauksia"},
    "summary.help.given.item": {
        "en": "Your team answered **{department}** {answers} times",
        "fi": "Tiimisi vastasi yksikölle **{department}** {answers} kertaa",
    },
    "summary.help.received.item": {
        "en": "**{department}** answered your team {answers} times",
        "fi": "**{department}** vastasi tiimillesi {answers} kertaa",
    },
    "summary.help.none": {
        "en": "No exchange with another department involved at least three people on each side this month.",
        "fi": "Mikään vaihto toisen yksikön kanssa ei koskenut ainakaan kolmea henkilöä kummallakin "
        "puolella tässä kuussa.",
    },
    "summary.unanswered.title": {
        "en": "Open questions in your team's domain",
        "fi": "Avoimet kysymykset tiimisi alalta",
    },
    "summary.unanswered.none": {
        "en": "No unanswered question in your team's domain this month.",
        "fi": "Tiimisi alalta ei ole vastaamattomia kysymyksiä tässä kuussa.",
    },
    "summary.unanswered.followers": {
        "en": "{followers} others want to know too",
        "fi": "{followers} muuta haluaa myös tietää",
    },
    "summary.unanswered.open": {"en": "Open question", "fi": "Avaa kysymys"},
    "summary.emerging.title": {"en": "Emerging voices", "fi": "Nousevat äänet"},
    "summary.emerging.item": {
        "en": "**{name}** has lately started helping colleagues with {topics}.",
        "fi": "**{name}** on viime aikoina alkanut auttaa kollegoita: {topics}.",
    },
    "summary.recognitions.title": {"en": "Worth recognizing", "fi": "Huomionosoituksen arvoisia"},
    "summary.recognitions.item": {
        "en": "Colleagues appreciated **{name}**'s help with {topics}.",
        "fi": "Kollegat arvostivat apua, jota **{name}** antoi: {topics}.",
    },
    "summary.people.none": {
        "en": "No one to highlight this month among those who allow being shown.",
        "fi": "Tässä kuussa ei ole nostettavaa niiden joukossa, jotka sallivat näkymisen.",
    },
    "summary.evidence": {"en": "Open message", "fi": "Avaa viesti"},
    "summary.and": {"en": "and", "fi": "ja"},
    "summary.leaves_out": {
        "en": "What this summary leaves out, on purpose: who posted how much, sentiment, and anyone who "
        "chose to be hidden. Team figures appear only where at least three people are involved. "
        "People are listed alphabetically, never ranked.",
        "fi": "Mitä yhteenveto jättää tarkoituksella pois: kuka kirjoitti kuinka paljon, tunnetilat ja "
        "kaikki, jotka ovat halunneet pysyä piilossa. Tiimin luvut näkyvät vain, kun mukana on vähintään "
        "kolme henkilöä. Henkilöt ovat aakkosjärjestyksessä, eivät paremmuusjärjestyksessä.",
    },
    "summary.subscribe": {"en": "Send me this monthly", "fi": "Lähetä tämä kuukausittain"},
    "summary.unsubscribe": {"en": "Stop the monthly summary", "fi": "Lopeta kuukausiyhteenveto"},
    "summary.subscribed": {
        "en": "Done: I'll send you your team summary at the start of every month. Say **team summary** "
        "any time for the current one.",
        "fi": "Selvä: lähetän tiimisi yhteenvedon jokaisen kuukauden alussa. Sano **tiimin yhteenveto**, "
        "niin saat ajantasaisen milloin vain.",
    },
    "summary.unsubscribed": {
        "en": "Done: no more monthly team summaries. You can still ask for one any time.",
        "fi": "Selvä: en lähetä enää kuukausittaisia tiimiyhteenvetoja. Voit silti pyytää sellaisen "
        "milloin vain.",
    },
    "summary.monthly": {
        "en": "Your monthly team summary: topics, open questions and people worth recognizing.",
        "fi": "Kuukauden tiimiyhteenvetosi: aiheet, avoimet kysymykset ja huomionosoituksen arvoiset.",
    },
    "summary.refused": {
        "en": "Team summaries are for managers, about their own team: I don't see anyone reporting to you "
        "in the directory, so I have no summary to show you. If that's wrong, your manager field in "
        "Microsoft Entra ID may need updating.",
        "fi": "Tiimiyhteenvedot ovat esihenkilöille heidän omasta tiimistään: hakemistossa ei näy ketään, "
        "joka raportoisi sinulle, joten minulla ei ole yhteenvetoa näytettäväksi. Jos tämä on väärin, "
        "esihenkilötiedot Microsoft Entra ID:ssä voivat vaatia päivitystä.",
    },
    "not_yet": {
        "en": "**{feature}** isn't available in this version of Seula yet.",
        "fi": "**{feature}** ei ole vielä käytettävissä tässä Seulan versiossa.",
    },
    "feature.team_summary": {"en": "Team summary", "fi": "Tiimin yhteenveto"},
    "feature.nudges": {"en": "Weekly nudges", "fi": "Viikoittaiset muistutukset"},
    "nudge.title": {"en": "Your week in Seula", "fi": "Viikkosi Seulassa"},
    "nudge.why.established": {
        "en": "You get this because you answered colleagues {answers} times in the last 12 weeks.",
        "fi": "Saat tämän, koska vastasit kollegoille {answers} kertaa viimeisten 12 viikon aikana.",
    },
    "nudge.why.rising": {
        "en": "You get this because colleagues turn to you more and more: {answers} answers in the last "
        "12 weeks.",
        "fi": "Saat tämän, koska kollegat kääntyvät puoleesi yhä useammin: {answers} vastausta viimeisten "
        "12 viikon aikana.",
    },
    "nudge.summary": {
        "en": "Your week in Seula: {answers} answers and {reactions} reactions in the last 7 days.",
        "fi": "Viikkosi Seulassa: {answers} vastausta ja {reactions} reaktiota viimeisten 7 päivän aikana.",
    },
    "nudge.summary.prompts": {
        "en": "Colleagues asked about your topics, too.",
        "fi": "Kollegat myös kysyivät aiheistasi.",
    },
    "nudge.stats.title": {"en": "The last 7 days", "fi": "Viimeiset 7 päivää"},
    "nudge.stats.answers": {"en": "Answers", "fi": "Vastaukset"},
    "nudge.stats.reactions": {"en": "Reactions", "fi": "Reaktiot"},
    "nudge.stats.helped": {"en": "People helped", "fi": "Autetut ihmiset"},
    "nudge.stats.reach": {"en": "Beyond your team", "fi": "Tiimisi ulkopuolelta"},
    "nudge.trend.up": {
        "en": "You answered more in the last 4 weeks than in the 4 before.",
        "fi": "Vastasit viimeisten 4 viikon aikana enemmän kuin sitä edeltävinä 4 viikkona.",
    },
    "nudge.trend.down": {
        "en": "You answered less in the last 4 weeks than in the 4 before.",
        "fi": "Vastasit viimeisten 4 viikon aikana vähemmän kuin sitä edeltävinä 4 viikkona.",
    },
    "nudge.trend.steady": {
        "en": "You answered about as much in the last 4 weeks as in the 4 before.",
        "fi": "Vastasit viimeisten 4 viikon aikana suunnilleen yhtä paljon kuin sitä edeltävinä 4 viikkona.",
    },
    "nudge.chart.title": {"en": "Answers per week", "fi": "Vastauksia viikossa"},
    "nudge.chart.week": {"en": "W{week}", "fi": "vk {week}"},
    "nudge.chart.fallback": {"en": "Answers per week: {values}", "fi": "Vastauksia viikossa: {values}"},
    "nudge.goal.met": {
        "en": "**Your goal**: share something every {days} days. Done: {shared} posts or answers in the "
        "last {days} days.",
        "fi": "**Tavoitteesi**: jaa jotain {days} päivän välein. Tehty: {shared} viestiä tai vastausta "
        "viimeisten {days} päivän aikana.",
    },
    "nudge.goal.open": {
        "en": "**Your goal**: share something every {days} days. Nothing yet in the last {days} days: one "
        "of the questions below would do it.",
        "fi": "**Tavoitteesi**: jaa jotain {days} päivän välein. Viimeisten {days} päivän aikana ei vielä "
        "mitään: yksi alla olevista kysymyksistä riittäisi.",
    },
    "nudge.reminder.title": {
        "en": "A reminder: you said you'd write about this",
        "fi": "Muistutus: lupasit kirjoittaa tästä",
    },
    "nudge.reminder.body": {
        "en": "A short post in the channel, or an answer in the thread, helps everyone who asks next. Say "
        "**stop nudges** to get no more reminders.",
        "fi": "Lyhyt viesti kanavalle tai vastaus ketjuun auttaa kaikkia seuraavia kysyjiä. Sano "
        "**lopeta muistutukset**, niin en muistuta enää.",
    },
    "nudge.followups.title": {
        "en": "You said you'd write about",
        "fi": "Lupasit kirjoittaa aiheesta",
    },
    "nudge.followup.posted": {"en": "✓ You posted it", "fi": "✓ Julkaisit sen"},
    "nudge.followup.reactions": {
        "en": "{reactions} reactions so far",
        "fi": "{reactions} reaktiota tähän mennessä",
    },
    "nudge.followup.open": {"en": "Not posted yet", "fi": "Ei vielä julkaistu"},
    "nudge.followup.see": {"en": "See your post", "fi": "Katso viestisi"},
    "nudge.prompts.title": {
        "en": "Colleagues asked about your topics",
        "fi": "Kollegat kysyivät aiheistasi",
    },
    "nudge.prompts.intro": {
        "en": "A short post answering one of these would help everyone who asks next.",
        "fi": "Lyhyt viesti, joka vastaa johonkin näistä, auttaisi kaikkia seuraavia kysyjiä.",
    },
    "nudge.prompt.topic": {"en": "On {topic}", "fi": "Aiheesta {topic}"},
    "nudge.prompt.unanswered": {"en": "unanswered", "fi": "vastaamatta"},
    "nudge.prompt.askers": {"en": "{askers} colleagues asked this", "fi": "{askers} kollegaa kysyi tätä"},
    "nudge.prompt.outline": {
        "en": "You could start from what you wrote before:",
        "fi": "Voisit aloittaa siitä, mitä kirjoitit aiemmin:",
    },
    "nudge.prompt.open": {"en": "Open the question", "fi": "Avaa kysymys"},
    "nudge.prompt.write": {"en": "I'll write it", "fi": "Kirjoitan sen"},
    "nudge.prompt.skip": {"en": "Not this one", "fi": "En tätä"},
    "nudge.none": {
        "en": "No open questions on your topics this week. Thank you for answering!",
        "fi": "Aiheistasi ei ole tällä viikolla avoimia kysymyksiä. Kiitos vastauksistasi!",
    },
    "nudge.snooze.label": {"en": "Pause nudges until", "fi": "Keskeytä muistutukset päivään"},
    "nudge.snooze": {"en": "Snooze", "fi": "Keskeytä"},
    "nudge.goal.label": {"en": "Goal: share something", "fi": "Tavoite: jaa jotain"},
    "nudge.goal.choice": {"en": "every {days} days", "fi": "{days} päivän välein"},
    "nudge.goal.set": {"en": "Set goal", "fi": "Aseta tavoite"},
    "nudge.stop": {"en": "Stop nudges", "fi": "Lopeta muistutukset"},
    "nudge.footer": {
        "en": "Seula sends this once a week, only to you, from public channels only. Say **stop nudges** "
        "(or press the button) to stop them.",
        "fi": "Seula lähettää tämän kerran viikossa vain sinulle, vain julkisten kanavien perusteella. Sano "
        "**lopeta muistutukset** (tai paina painiketta), niin lopetan.",
    },
    "nudge.done.write": {
        "en": "Great! I'll remind you in {days} days. Your post will help whoever asks next.",
        "fi": "Hienoa! Muistutan sinua {days} päivän päästä. Viestisi auttaa seuraavaa kysyjää.",
    },
    "nudge.done.skip": {
        "en": "OK, I won't suggest that question again.",
        "fi": "Selvä, en ehdota sitä kysymystä enää.",
    },
    "nudge.done.snooze": {
        "en": "Nudges paused until {date}.",
        "fi": "Muistutukset keskeytetty {date} asti.",
    },
    "nudge.bad_date": {
        "en": "Pick a date in the coming year to pause nudges until.",
        "fi": "Valitse päivä seuraavan vuoden ajalta, johon asti muistutukset keskeytetään.",
    },
    "nudge.done.goal": {
        "en": "Your goal is now to share something every {days} days.",
        "fi": "Tavoitteesi on nyt jakaa jotain {days} päivän välein.",
    },
    "nudge.done.stop": {
        "en": "Weekly nudges are off. Say **start nudges** whenever you want them back.",
        "fi": "Viikoittaiset muistutukset ovat pois päältä. Sano **aloita muistutukset**, kun haluat ne "
        "takaisin.",
    },
    "nudge.done.start": {
        "en": "Weekly nudges are on: when you have answered colleagues lately, I'll send one a week with how "
        "your answers landed and questions you could write about. Say **stop nudges** to stop them.",
        "fi": "Viikoittaiset muistutukset ovat päällä: kun olet viime aikoina vastannut kollegoille, lähetän "
        "kerran viikossa yhteenvedon vastaustesi vastaanotosta ja kysymyksiä, joista voisit kirjoittaa. "
        "Sano **lopeta muistutukset**, niin lopetan.",
    },
    "nudge.gone": {
        "en": "That question is no longer in your nudges.",
        "fi": "Tuo kysymys ei ole enää muistutuksissasi.",
    },
    "error.generic": {
        "en": "Sorry, something went wrong on my side. Please try again in a moment.",
        "fi": "Anteeksi, jokin meni vikaan päässäni. Yritä hetken päästä uudelleen.",
    },
    "action.unknown": {
        "en": "This button is from an older card. Ask me again and I'll make a fresh one.",
        "fi": "Tämä painike on vanhasta kortista. Kysy uudelleen, niin teen uuden.",
    },
}


def say(language: Language, key: str, **values: object) -> str:
    """The text for `key` in `language`, with `values` filled in."""
    return _STRINGS[key][language].format(**values)


def keys() -> frozenset[str]:
    """Every string key (for tests that check both languages are complete)."""
    return frozenset(_STRINGS)


def translations(key: str) -> dict[Language, str]:
    return dict(_STRINGS[key])
