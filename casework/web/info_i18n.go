package web

// The information line's interface strings (issue 15), merged into
// messages so that the rest of the view finds them as its own.
var infoMessages = map[string]map[string]string{
	"fr": {
		"nav_info": "Ligne d'information", "title_info_list": "Ligne d'information", "title_info_edit": "Écrire une page d'information",
		"info_note":     "Les appelant·es n'entendent que la version approuvée par un·e superviseur·e. Une modification doit être approuvée à nouveau ; d'ici là, l'ancienne version approuvée reste diffusée.",
		"info_new":      "Nouvelle page",
		"info_all_mali": "Tout le Mali", "info_all_programmes": "Tous les programmes",
		"info_topic_eligibility": "Qui a droit et pourquoi", "info_topic_entitlement": "Ce qu'un ménage reçoit",
		"info_topic_dates": "Dates des distributions", "info_topic_complaints": "Comment les plaintes sont traitées, par qui",
		"info_topic_yousaid": "Vous avez dit, nous avons fait",
		"col_place":          "Lieu", "col_topic": "Sujet", "col_lang": "Langue", "col_programme": "Programme",
		"info_draft": "Brouillon (version %d, par %s)", "info_published": "Diffusé (version %d, approuvé par %s)",
		"info_not_live": "Rien n'est diffusé pour cette page.", "info_approve": "Approuver cette version", "info_edit": "Modifier",
		"info_pending": "à approuver", "info_live": "diffusée", "info_own": "Vous l'avez écrite : un·e autre doit l'approuver.",
		"info_empty": "Aucune page pour l'instant.", "info_text": "Texte (lu tel quel au téléphone, découpé en écrans USSD)",
		"info_save": "Enregistrer le brouillon", "ok_info_saved": "Brouillon enregistré : il attend l'approbation d'un·e superviseur·e.",
		"ok_info_approved": "Version approuvée : les appelant·es l'entendent désormais.",
		"err_info_stale":   "La page a changé depuis votre lecture : relisez-la avant d'approuver.",
		"role_programme":   "programme (pages d'information)",
		"h_info_views":     "Consultations de la ligne d'information", "info_views_none": "Aucune consultation.",
		"title_info_broadcasts": "Messages aux abonné·es", "h_new_broadcast": "Nouveau message SMS",
		"broadcast_note": "Envoyé une seule fois, par SMS, aux personnes abonnées aux nouvelles du lieu, dans leur langue (en français si elle manque), après approbation d'un·e superviseur·e. Le français est obligatoire.",
		"broadcast_text": "Texte en %s", "broadcast_save": "Enregistrer le message", "broadcast_approve": "Approuver et envoyer",
		"broadcast_draft": "brouillon (version %d, par %s)", "broadcast_approved": "approuvé, en cours d'envoi", "broadcast_sent": "envoyé à %d abonné·es",
		"ok_broadcast_saved": "Message enregistré : il attend l'approbation d'un·e superviseur·e.", "ok_broadcast_approved": "Message approuvé : il part vers les abonné·es.",
		"no_broadcasts": "Aucun message.", "nav_broadcasts": "Messages aux abonné·es",
		"title_info_yousaid": "Vous avez dit, nous avons fait", "title_info_script": "Script radio", "nav_yousaid": "Vous avez dit, nous avons fait",
		"yousaid_note":  "Un résumé par mois et par cercle : les nombres viennent des cas (les petits nombres sont cachés et dits « d'autres sujets »), le reste est écrit par l'équipe. Approuvé par un·e superviseur·e, il est publié sur la ligne d'information et exporté en script radio.",
		"h_new_summary": "Nouveau résumé", "col_month": "Mois", "col_cercle": "Cercle", "summary_found": "Ce que l'équipe a trouvé (%s)", "summary_changed": "Ce qui a changé (%s)",
		"summary_save": "Enregistrer le résumé", "summary_approve": "Approuver et publier", "summary_draft": "brouillon (version %d, par %s)", "summary_approved": "publié (approuvé par %s)",
		"ok_summary_saved": "Résumé enregistré : il attend l'approbation d'un·e superviseur·e.", "ok_summary_approved": "Résumé publié sur la ligne d'information.",
		"no_summaries": "Aucun résumé.", "script_txt": "texte", "script_print": "page à imprimer", "script_pdf": "PDF", "h_raised": "Ce que les gens ont signalé", "col_cases": "Cas", "yousaid_other": "Autres sujets (petits nombres)",
	},
	"en": {
		"nav_info": "Information line", "title_info_list": "Information line", "title_info_edit": "Write an information page",
		"info_note":     "Callers only hear the version a supervisor approved. An edit needs approval again; until then the earlier approved version stays live.",
		"info_new":      "New page",
		"info_all_mali": "All of Mali", "info_all_programmes": "All programmes",
		"info_topic_eligibility": "Who is eligible and why", "info_topic_entitlement": "What a household receives",
		"info_topic_dates": "Distribution dates", "info_topic_complaints": "How complaints are handled, by whom",
		"info_topic_yousaid": "You said, we did",
		"col_place":          "Place", "col_topic": "Topic", "col_lang": "Language", "col_programme": "Programme",
		"info_draft": "Draft (version %d, by %s)", "info_published": "Live (version %d, approved by %s)",
		"info_not_live": "Nothing is live for this page.", "info_approve": "Approve this version", "info_edit": "Edit",
		"info_pending": "awaiting approval", "info_live": "live", "info_own": "You wrote it: someone else must approve it.",
		"info_empty": "No pages yet.", "info_text": "Text (read as is on the phone, cut into USSD screens)",
		"info_save": "Save draft", "ok_info_saved": "Draft saved: it awaits a supervisor's approval.",
		"ok_info_approved": "Version approved: callers hear it from now on.",
		"err_info_stale":   "The page changed since you read it: read it again before approving.",
		"role_programme":   "programme (information pages)",
		"h_info_views":     "Information line views", "info_views_none": "No views.",
		"title_info_broadcasts": "Messages to subscribers", "h_new_broadcast": "New SMS message",
		"broadcast_note": "Sent once, by SMS, to the people subscribed to the place's news, in their language (French where it is missing), after a supervisor approves it. French is required.",
		"broadcast_text": "Text in %s", "broadcast_save": "Save message", "broadcast_approve": "Approve and send",
		"broadcast_draft": "draft (version %d, by %s)", "broadcast_approved": "approved, being sent", "broadcast_sent": "sent to %d subscribers",
		"ok_broadcast_saved": "Message saved: it awaits a supervisor's approval.", "ok_broadcast_approved": "Message approved: it is going out to subscribers.",
		"no_broadcasts": "No messages.", "nav_broadcasts": "Messages to subscribers",
		"title_info_yousaid": "You said, we did", "title_info_script": "Radio script", "nav_yousaid": "You said, we did",
		"yousaid_note":  "One summary per month and cercle: the numbers come from the cases (small numbers are hidden and said as \"other subjects\"), the rest is written by the team. Once a supervisor approves it, it is published on the information line and exported as a radio script.",
		"h_new_summary": "New summary", "col_month": "Month", "col_cercle": "Cercle", "summary_found": "What the team found (%s)", "summary_changed": "What changed (%s)",
		"summary_save": "Save summary", "summary_approve": "Approve and publish", "summary_draft": "draft (version %d, by %s)", "summary_approved": "published (approved by %s)",
		"ok_summary_saved": "Summary saved: it awaits a supervisor's approval.", "ok_summary_approved": "Summary published on the information line.",
		"no_summaries": "No summaries.", "script_txt": "text", "script_print": "printable page", "script_pdf": "PDF", "h_raised": "What people raised", "col_cases": "Cases", "yousaid_other": "Other subjects (small numbers)",
	},
}

func init() {
	funcs["infoEditURL"] = infoEditURL
	for lang, m := range infoMessages {
		for k, v := range m {
			messages[lang][k] = v
		}
	}
}
