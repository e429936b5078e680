package web

import "errors"

// messages are the interface's strings. French first: it is the working
// language of most MEAL staff in Mali. A test checks both languages have
// the same keys.
var messages = map[string]map[string]string{
	"fr": {
		"nav_admin": "Comptes", "title_admin": "Comptes et jetons", "h_users": "Comptes", "h_new_user": "Nouveau compte", "h_tokens": "Jetons d'API",
		"full_name": "Nom complet", "col_role": "Rôle", "col_team": "Équipe", "col_state": "État", "state_active": "actif", "state_disabled": "désactivé",
		"enable": "Réactiver", "disable": "Désactiver", "reset_password": "Nouveau mot de passe", "create_user": "Créer le compte", "revoke": "Révoquer",
		"no_tokens": "Aucun jeton.", "password_for": "Mot de passe de %s :", "password_once": "Affiché une seule fois : il n'est conservé que haché. Transmettez-le en main propre.",
		"ok_password": "Mot de passe défini.", "ok_user_disabled": "Compte désactivé.", "ok_user_enabled": "Compte réactivé.", "ok_token_revoked": "Jeton révoqué.",
		"err_user": "Compte refusé : identifiant, rôle ou équipe invalide (le rôle psea va avec une équipe PSEA).", "err_exists": "Cet identifiant existe déjà.",
		"err_self":           "Vous ne pouvez pas désactiver votre propre compte.",
		"admin_user_created": "compte créé", "admin_user_disabled": "compte désactivé", "admin_user_enabled": "compte réactivé",
		"admin_password_reset": "mot de passe réinitialisé", "admin_token_created": "jeton créé", "admin_token_revoked": "jeton révoqué",
		"other_lang": "English", "logout": "Se déconnecter", "footer": "Numéro Vert — aucun numéro de téléphone n'est conservé ni affiché.",
		"nav_queue": "File des cas", "nav_intake": "Saisir une plainte", "nav_dashboard": "Tableau de bord",
		"title_login": "Connexion", "title_queue": "File des cas", "title_case": "Cas", "title_intake": "Saisir une plainte reçue en personne",
		"title_dashboard": "Tableau de bord", "title_error": "Erreur",
		"login_name": "Identifiant", "login_password": "Mot de passe", "login_submit": "Se connecter",
		"login_note": "Session fermée après 30 minutes d'inactivité.", "login_failed": "Identifiant ou mot de passe incorrect.",
		"login_too_many": "Trop de tentatives. Réessayez dans 15 minutes.", "session_expired": "Votre session a expiré : reconnectez-vous.",
		"not_found": "Page introuvable", "forbidden": "Accès refusé", "bad_request": "Requête invalide", "internal": "Erreur interne",
		"back_home":    "Retour à l'accueil",
		"role_officer": "chargé·e MEAL", "role_supervisor": "superviseur·e", "role_psea": "point focal PSEA", "role_viewer": "lecture (agrégats)", "role_admin": "administration",
		"status_new": "Nouveau", "status_assigned": "Attribué", "status_in_progress": "En cours", "status_resolved": "Répondu", "status_closed": "Clos",
		"f_status": "Statut", "f_open": "Ouverts", "f_category": "Catégorie", "f_region": "Région", "f_all": "Toutes", "f_overdue": "En retard seulement", "f_apply": "Filtrer",
		"col_due": "Échéance", "col_ref": "Référence", "col_category": "Catégorie", "col_region": "Région", "col_status": "Statut", "col_officer": "Chargé·e", "col_opened": "Reçu le",
		"overdue": "en retard", "sensitive": "sensible", "queue_empty": "Aucun cas ne correspond.",
		"h_report": "Signalement", "caller_chose": "Choix de l'appelant·e", "coding": "Codage", "assistance": "Assistance", "place": "Lieu",
		"language": "Langue", "medium": "Canal", "opened": "Reçu le", "ack_by": "À accuser avant", "resolve_by": "À répondre avant", "done": "fait le", "officer": "Chargé·e",
		"other_reports": "Cet appelant a fait %d autre(s) signalement(s).", "no_other_reports": "Aucun autre signalement de cet appelant.",
		"caller_text": "Message de l'appelant·e", "no_text": "Pas de texte.", "recording": "Message vocal", "no_audio": "Votre navigateur ne lit pas l'audio.",
		"has_contact":  "L'appelant·e a laissé un contact scellé (lecture auditée, par l'équipe seulement).",
		"show_contact": "Lire le contact", "contact_name": "Nom", "contact_village": "Village",
		"h_actions": "Actions", "assign_to": "Attribuer à", "assign": "Attribuer", "change_status": "Changer le statut", "apply": "Appliquer",
		"h_response": "Réponse à l'appelant·e", "template": "Modèle", "use_template": "Utiliser ce modèle",
		"response_note": "L'appelant·e entendra ou lira ce texte en suivant sa plainte (référence et PIN). Jamais de nom ni de détail identifiant.",
		"send_response": "Enregistrer la réponse (statut « Répondu »)", "h_sent_response": "Réponse enregistrée",
		"reopen_reason": "Motif de réouverture (note interne)", "reopen": "Rouvrir", "recode": "Recoder", "h_notes": "Notes internes", "add_note": "Ajouter la note",
		"h_audit": "Journal d'audit", "when": "Quand", "who": "Qui", "what": "Action", "detail": "Détail",
		"ok_assign": "Cas attribué.", "ok_status": "Statut changé.", "ok_respond": "Réponse enregistrée : l'appelant·e l'entendra au suivi.",
		"ok_recode": "Cas recodé.", "ok_note": "Note ajoutée.", "ok_reopen": "Cas rouvert.", "ok_rerouted": "Cas recodé et transmis à une autre équipe.",
		"err_transition": "Ce changement n'est pas possible dans le statut actuel.", "err_invalid": "Saisie refusée : vérifiez le formulaire.",
		"err_officer": "Cette personne n'est pas de votre équipe.", "err_response": "La réponse est vide.",
		"tpl_received": "Plainte reçue, vérification en cours", "tpl_resolved": "Problème résolu", "tpl_referred": "Transmis au service compétent",
		"tpl_not_eligible": "Critères expliqués", "tpl_thanks": "Merci pour votre avis",
		"unknown": "Inconnu / non précisé", "cercle": "Cercle", "what_happened": "Ce que la personne rapporte (sans nom ni numéro)",
		"intake_note":   "Pour une plainte reçue en personne ou par un appel ordinaire. Ne notez aucun numéro de téléphone : la personne recevra une référence et un PIN.",
		"intake_submit": "Enregistrer et obtenir la référence", "intake_done": "Plainte enregistrée", "read_out": "Lisez à la personne, lentement, et faites-lui répéter :",
		"reference": "Référence", "pin": "PIN", "pin_once": "Le PIN n'est affiché qu'une fois : il n'est pas conservé en clair.",
		"intake_repeated": "Ce formulaire avait déjà été envoyé : même plainte, le PIN ne peut pas être réaffiché.",
		"reviewed_by":     "Examinée par : %s.", "answer_by": "Réponse attendue avant le", "intake_another": "Saisir une autre plainte",
		"assist_cash": "Argent", "assist_food": "Vivres", "assist_nutrition": "Nutrition", "assist_vouchers": "Bons d'achat", "assist_school_meals": "Cantines scolaires",
		"assist_health": "Santé", "assist_other": "Eau, abri ou autre",
		"medium_ussd": "USSD", "medium_sms": "SMS", "medium_voice": "Appel vocal", "medium_staff": "Saisie par le personnel",
		"act_created": "créé", "act_routed": "orienté", "act_assigned": "attribué", "act_started": "en cours", "act_resolved": "répondu", "act_closed": "clos",
		"act_reopened": "rouvert", "act_recoded": "recodé", "act_noted": "note ajoutée", "act_viewed": "consulté", "act_contact_viewed": "contact lu",
		"act_overdue": "en retard", "act_escalated": "escaladé", "act_purged": "purgé",
		"act_referred": "orienté·e vers un service", "h_referral": "Orientation",
		"referral_near": "Services de l'annuaire près de l'appelant·e, dans l'ordre où il ou elle les a entendus en fin de signalement :",
		"referred_to":   "Orienté·e vers", "refer": "Noter l'orientation", "ok_refer": "Orientation notée.",
		"last_weeks": "%d dernières semaines", "kpi_overdue": "En retard (maintenant)", "kpi_ack": "Délai médian d'accusé",
		"kpi_resolve":      "Délai médian de réponse",
		"suppression_note": "Toute case inférieure à 5, et toute case qui permettrait de la retrouver, est masquée (–) pour qu'aucun chiffre ne désigne une personne.",
		"h_by_category":    "Cas par semaine et par catégorie", "h_by_region": "Cas par semaine et par région", "legend_small": "masqué (non représenté à l'échelle)",
		"table":     "Tableau des chiffres",
		"h_exports": "Exports", "export_aggregate": "Agrégats (CSV)", "export_hxl": "Agrégats avec étiquettes HXL (CSV)", "export_cases": "Liste des cas de l'équipe (CSV, superviseur)",
		"api_note": "API JSON en lecture : GET /meal/api/v1/report avec un jeton (hotline users token).",
	},
	"en": {
		"nav_admin": "Accounts", "title_admin": "Accounts and tokens", "h_users": "Accounts", "h_new_user": "New account", "h_tokens": "API tokens",
		"full_name": "Full name", "col_role": "Role", "col_team": "Team", "col_state": "State", "state_active": "active", "state_disabled": "disabled",
		"enable": "Enable", "disable": "Disable", "reset_password": "New password", "create_user": "Create account", "revoke": "Revoke",
		"no_tokens": "No tokens.", "password_for": "Password of %s:", "password_once": "Shown only once: only its hash is kept. Hand it over in person.",
		"ok_password": "Password set.", "ok_user_disabled": "Account disabled.", "ok_user_enabled": "Account enabled.", "ok_token_revoked": "Token revoked.",
		"err_user": "Account refused: invalid name, role or team (the psea role goes with a PSEA team).", "err_exists": "This name already exists.",
		"err_self":           "You cannot disable your own account.",
		"admin_user_created": "account created", "admin_user_disabled": "account disabled", "admin_user_enabled": "account enabled",
		"admin_password_reset": "password reset", "admin_token_created": "token created", "admin_token_revoked": "token revoked",
		"other_lang": "Français", "logout": "Sign out", "footer": "Numéro Vert — no phone number is ever kept or shown.",
		"nav_queue": "Case queue", "nav_intake": "Take a complaint", "nav_dashboard": "Dashboard",
		"title_login": "Sign in", "title_queue": "Case queue", "title_case": "Case", "title_intake": "Take a complaint received in person",
		"title_dashboard": "Dashboard", "title_error": "Error",
		"login_name": "User name", "login_password": "Password", "login_submit": "Sign in",
		"login_note": "Sessions end after 30 minutes without activity.", "login_failed": "Wrong user name or password.",
		"login_too_many": "Too many attempts. Try again in 15 minutes.", "session_expired": "Your session expired: please sign in again.",
		"not_found": "Page not found", "forbidden": "Access denied", "bad_request": "Bad request", "internal": "Internal error",
		"back_home":    "Back to the start",
		"role_officer": "MEAL officer", "role_supervisor": "supervisor", "role_psea": "PSEA focal point", "role_viewer": "viewer (aggregates)", "role_admin": "admin",
		"status_new": "New", "status_assigned": "Assigned", "status_in_progress": "In progress", "status_resolved": "Answered", "status_closed": "Closed",
		"f_status": "Status", "f_open": "Open", "f_category": "Category", "f_region": "Region", "f_all": "All", "f_overdue": "Overdue only", "f_apply": "Filter",
		"col_due": "Due", "col_ref": "Reference", "col_category": "Category", "col_region": "Region", "col_status": "Status", "col_officer": "Officer", "col_opened": "Received",
		"overdue": "overdue", "sensitive": "sensitive", "queue_empty": "No case matches.",
		"h_report": "Report", "caller_chose": "Caller's choice", "coding": "Coding", "assistance": "Assistance", "place": "Place",
		"language": "Language", "medium": "Channel", "opened": "Received", "ack_by": "Acknowledge by", "resolve_by": "Answer by", "done": "done", "officer": "Officer",
		"other_reports": "This caller made %d other report(s).", "no_other_reports": "No other report from this caller.",
		"caller_text": "Caller's message", "no_text": "No text.", "recording": "Voice message", "no_audio": "Your browser cannot play audio.",
		"has_contact":  "The caller left a sealed contact (reading is audited, team only).",
		"show_contact": "Read the contact", "contact_name": "Name", "contact_village": "Village",
		"h_actions": "Actions", "assign_to": "Assign to", "assign": "Assign", "change_status": "Change status", "apply": "Apply",
		"h_response": "Response to the caller", "template": "Template", "use_template": "Use this template",
		"response_note": "The caller hears or reads this when following up (reference and PIN). Never a name or an identifying detail.",
		"send_response": "Save the response (status “Answered”)", "h_sent_response": "Saved response",
		"reopen_reason": "Reason for reopening (internal note)", "reopen": "Reopen", "recode": "Recode", "h_notes": "Internal notes", "add_note": "Add note",
		"h_audit": "Audit trail", "when": "When", "who": "Who", "what": "Action", "detail": "Detail",
		"ok_assign": "Case assigned.", "ok_status": "Status changed.", "ok_respond": "Response saved: the caller will hear it on follow-up.",
		"ok_recode": "Case recoded.", "ok_note": "Note added.", "ok_reopen": "Case reopened.", "ok_rerouted": "Case recoded and passed to another team.",
		"err_transition": "That change is not possible in the current status.", "err_invalid": "Refused: check the form.",
		"err_officer": "That person is not on your team.", "err_response": "The response is empty.",
		"tpl_received": "Complaint received, being checked", "tpl_resolved": "Problem solved", "tpl_referred": "Referred to the right service",
		"tpl_not_eligible": "Criteria explained", "tpl_thanks": "Thanks for your feedback",
		"unknown": "Unknown / not said", "cercle": "Cercle", "what_happened": "What the person reports (no name, no number)",
		"intake_note":   "For a complaint received in person or by an ordinary call. Do not write down any phone number: the person gets a reference and a PIN.",
		"intake_submit": "Save and get the reference", "intake_done": "Complaint saved", "read_out": "Read this to the person, slowly, and have them repeat it:",
		"reference": "Reference", "pin": "PIN", "pin_once": "The PIN is shown only once: it is not kept in clear.",
		"intake_repeated": "This form had already been sent: same complaint, the PIN cannot be shown again.",
		"reviewed_by":     "Reviewed by: %s.", "answer_by": "Answer expected by", "intake_another": "Take another complaint",
		"assist_cash": "Cash", "assist_food": "Food", "assist_nutrition": "Nutrition", "assist_vouchers": "Vouchers", "assist_school_meals": "School meals",
		"assist_health": "Health", "assist_other": "Water, shelter or other",
		"medium_ussd": "USSD", "medium_sms": "SMS", "medium_voice": "Voice call", "medium_staff": "Taken by staff",
		"act_created": "created", "act_routed": "routed", "act_assigned": "assigned", "act_started": "in progress", "act_resolved": "answered", "act_closed": "closed",
		"act_reopened": "reopened", "act_recoded": "recoded", "act_noted": "note added", "act_viewed": "viewed", "act_contact_viewed": "contact read",
		"act_overdue": "overdue", "act_escalated": "escalated", "act_purged": "purged",
		"act_referred": "referred to a service", "h_referral": "Referral",
		"referral_near": "Directory services near the caller, in the order they heard them at the end of their report:",
		"referred_to":   "Referred to", "refer": "Record the referral", "ok_refer": "Referral recorded.",
		"last_weeks": "last %d weeks", "kpi_overdue": "Overdue (now)", "kpi_ack": "Median time to acknowledge",
		"kpi_resolve":      "Median time to answer",
		"suppression_note": "Any cell under 5, and any cell that would let one be worked out, is hidden (–) so that no figure points at a person.",
		"h_by_category":    "Cases per week by category", "h_by_region": "Cases per week by region", "legend_small": "hidden (not drawn to scale)",
		"table":     "Table of figures",
		"h_exports": "Exports", "export_aggregate": "Aggregates (CSV)", "export_hxl": "Aggregates with HXL tags (CSV)", "export_cases": "Team's case list (CSV, supervisor)",
		"api_note": "Read-only JSON API: GET /meal/api/v1/report with a token (hotline users token).",
	},
}

type language struct{ code, name string }

// callerLanguages are the languages a caller may speak, each named in
// itself (as the USSD menu names them).
var callerLanguages = []language{
	{"fr", "Français"}, {"en", "English"}, {"bm", "Bamanankan"}, {"ff", "Fulfulde"}, {"ses", "Soŋay"}, {"taq", "Tamajaq"},
}

func languageName(code string) string {
	for _, l := range callerLanguages {
		if l.code == code {
			return l.name
		}
	}
	return ""
}

type responseTemplate struct{ ID, Text string }

// responseTemplates are starting points for the answer a caller hears,
// per caller language. Short: the answer is read over USSD or SMS.
var responseTemplates = map[string][]responseTemplate{
	"fr": {
		{"received", "Votre plainte {ref} a été reçue. Une équipe indépendante vérifie. Rappelez dans une semaine pour la suite."},
		{"resolved", "Votre plainte {ref} a été vérifiée et le problème a été corrigé. Merci de nous avoir prévenus."},
		{"referred", "Votre plainte {ref} a été transmise au service compétent, qui vous contactera par les voies habituelles."},
		{"not_eligible", "Votre plainte {ref} a été examinée. L'aide vise les ménages choisis selon des critères affichés au village. Vous pouvez demander à être réévalué."},
		{"thanks", "Merci pour votre message {ref}. Il a été transmis à l'équipe du programme."},
	},
	"en": {
		{"received", "Your complaint {ref} was received. An independent team is checking. Call again in a week for news."},
		{"resolved", "Your complaint {ref} was checked and the problem has been fixed. Thank you for telling us."},
		{"referred", "Your complaint {ref} was passed to the service in charge, which will contact you through the usual channels."},
		{"not_eligible", "Your complaint {ref} was reviewed. Assistance goes to households chosen by criteria posted in the village. You may ask to be reassessed."},
		{"thanks", "Thank you for your message {ref}. It was passed to the programme team."},
	},
}

func dict(kv ...any) (map[string]any, error) {
	if len(kv)%2 != 0 {
		return nil, errors.New("dict: odd arguments")
	}
	m := make(map[string]any, len(kv)/2)
	for i := 0; i < len(kv); i += 2 {
		k, ok := kv[i].(string)
		if !ok {
			return nil, errors.New("dict: key is not a string")
		}
		m[k] = kv[i+1]
	}
	return m, nil
}
