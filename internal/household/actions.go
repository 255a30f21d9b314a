package household

// Action is one thing a person does to a case, named for its check:
// ActSurvey is checked by CheckSurvey and takes a SurveyInput, ActVillage
// by CheckVillage, and so on.
type Action string

// Actions.
const (
	ActSurvey              Action = "survey"
	ActVillage             Action = "village"
	ActVerification        Action = "verification"
	ActGraduate            Action = "graduate"
	ActAssign              Action = "assign"
	ActIntervention        Action = "intervention"
	ActFollowUp            Action = "follow-up"
	ActEscalate            Action = "escalate"
	ActResolve             Action = "resolve"
	ActClose               Action = "close"
	ActDuplicateResolution Action = "duplicate-resolution"
	// ActTransfer asks to move the case to another village,
	// ActTransferAnswer is the receiving region's answer (Ref: the
	// transfer), ActTransferCancel withdraws it (Ref: the transfer).
	ActTransfer       Action = "transfer"
	ActTransferAnswer Action = "transfer-answer"
	ActTransferCancel Action = "transfer-cancel"
)

// Actions lists every action.
var Actions = []Action{ActSurvey, ActVillage, ActVerification, ActGraduate, ActAssign, ActIntervention,
	ActFollowUp, ActEscalate, ActResolve, ActClose, ActDuplicateResolution, ActTransfer, ActTransferAnswer, ActTransferCancel}

// actionRoles are the roles (besides admin) that may take each action, in
// the order a refusal names them.
var actionRoles = map[Action][]Role{
	ActSurvey:              {RoleCaseworker},
	ActVillage:             {RoleVillageOfficer},
	ActVerification:        {RoleVerifier},
	ActGraduate:            {RoleVerifier},
	ActAssign:              {RoleSupervisor},
	ActIntervention:        {RoleAgency},
	ActFollowUp:            {RoleCaseworker},
	ActEscalate:            {RoleSupervisor, RoleProvince},
	ActResolve:             {RoleProvince, RoleSupervisor},
	ActClose:               {RoleSupervisor},
	ActDuplicateResolution: {RoleSupervisor},
	ActTransfer:            {RoleSupervisor},
	ActTransferAnswer:      {RoleSupervisor},
	ActTransferCancel:      {RoleSupervisor},
}

// Roles are the roles that may take the action; admin may take every
// action and is not listed.
func (a Action) Roles() []Role { return actionRoles[a] }

// Permit is an action a person may take on a case now. Ref names what it
// is taken on when the action concerns one item of the case: an
// intervention and the status it may move to ("iv-1/delivered"), an
// escalation to answer, a possible duplicate to resolve, the level an
// escalation may go to, or the pending transfer to answer or cancel.
type Permit struct {
	Action Action
	Ref    string
}

// Allowed lists what a may do to the case as it stands: every action (and
// item of the case it concerns) whose check passes for a, input aside. It
// asks each action's gate, the part of its check that does not read the
// input (who the actor is, the stage, the room left in the case), which
// the Check method runs first: a person is offered exactly what the case
// then takes from them, input permitting. A case that is not open allows
// nothing.
func (c *Case) Allowed(a Actor) []Permit {
	if c.Status != StatusOpen {
		return nil
	}
	var out []Permit
	add := func(act Action, ref string, err error) {
		if err == nil {
			out = append(out, Permit{Action: act, Ref: ref})
		}
	}
	add(ActSurvey, "", c.gateSurvey(a))
	add(ActVillage, "", c.gateVillage(a))
	add(ActVerification, "", c.gateVerification(a))
	add(ActGraduate, "", c.gateGraduate(a))
	add(ActAssign, "", c.gateAssign(a))
	add(ActFollowUp, "", c.gateFollowUp(a))
	add(ActClose, "", c.gateClose(a))
	if c.gateIntervention(a) == nil {
		for _, iv := range c.Interventions {
			if !iv.heldFor(a) {
				continue
			}
			for _, st := range ReportedStatuses {
				if iv.Status.CanMove(st) {
					add(ActIntervention, iv.ID+"/"+string(st), nil)
				}
			}
		}
	}
	if c.gateResolve(a) == nil {
		for _, e := range c.Escalations {
			if e.Open && e.answerableBy(a) {
				add(ActResolve, e.ID, nil)
			}
		}
	}
	for _, lvl := range EscalationLevels {
		add(ActEscalate, string(lvl), c.gateEscalate(a, lvl))
	}
	if c.gateDuplicateResolution(a) == nil {
		for _, d := range c.Duplicates {
			if d.Open {
				add(ActDuplicateResolution, d.ID, nil)
			}
		}
	}
	add(ActTransfer, "", c.gateTransfer(a))
	if t, ok := c.PendingTransfer(); ok {
		add(ActTransferAnswer, t.ID, c.gateTransferAnswer(a))
		add(ActTransferCancel, t.ID, c.gateTransferCancel(a))
	}
	return out
}
