package household

import (
	"fmt"
	"time"

	"github.com/tuntas-id/tuntas/internal/region"
)

// A household that moves to another village of the province takes its case
// with it (pindah domisili): the supervisor of the case's region asks for
// the transfer, naming the village; the supervisor of the receiving region
// accepts it or refuses it with a reason within Deadlines.TransferDays.
// Accepted, the case keeps its history and its stage and from then on lies
// in the new village: only the new region's people act on it and read it.
//
// A transfer is a few actions of the case's own workflow, not a workflow of
// its own: the case is the one writer of its state, so a transfer and any
// action competing with it (a village confirmation, a closing, a second
// transfer) are ordered in one history and each is checked against what
// the other left.

// TransferStatus is where a transfer stands.
type TransferStatus string

// Transfer statuses.
const (
	TransferPending   TransferStatus = "pending"
	TransferAccepted  TransferStatus = "accepted"
	TransferRefused   TransferStatus = "refused"
	TransferCancelled TransferStatus = "cancelled"
)

// TransferStatuses lists every transfer status.
var TransferStatuses = []TransferStatus{TransferPending, TransferAccepted, TransferRefused, TransferCancelled}

// TransferDecision is the receiving region's answer.
type TransferDecision string

// Transfer decisions.
const (
	TransferAccept TransferDecision = "accepted"
	TransferRefuse TransferDecision = "refused"
)

// TransferDecisions lists both answers.
var TransferDecisions = []TransferDecision{TransferAccept, TransferRefuse}

// TransferDirection selects, in a list, the cases with a transfer pending
// into the reader's region (incoming) or out of it (outgoing).
type TransferDirection string

// Transfer directions.
const (
	TransferIncoming TransferDirection = "incoming"
	TransferOutgoing TransferDirection = "outgoing"
)

// TransferDirections lists both directions.
var TransferDirections = []TransferDirection{TransferIncoming, TransferOutgoing}

// MaxTransfers bounds the transfers a case records over its life.
const MaxTransfers = 10

// DefaultTransferDays is the receiving region's time to answer when the
// case's deadlines name none (cases opened before transfers existed).
const DefaultTransferDays = 14

// Transfer is a move of the household to another village.
type Transfer struct {
	ID          string `json:"id"`
	FromVillage string `json:"fromVillage"`
	ToVillage   string `json:"toVillage"`
	// Address is where the household lives in the new village; it becomes
	// the case's address on acceptance.
	Address     string         `json:"address"`
	Reason      string         `json:"reason"`
	Status      TransferStatus `json:"status"`
	RequestedBy string         `json:"requestedBy"`
	RequestedAt time.Time      `json:"requestedAt"`
	// Deadline is when the receiving region must answer: past it a
	// reminder is recorded, and at EscalateAt the case escalates by
	// itself. Both are cleared once the transfer is answered.
	Deadline   time.Time `json:"deadline,omitzero"`
	EscalateAt time.Time `json:"escalateAt,omitzero"`
	Reminded   bool      `json:"reminded,omitempty"`
	// AnsweredBy answered (or cancelled) it, with Note: a refusal's
	// reason, or what the answer or cancellation adds.
	AnsweredBy string    `json:"answeredBy,omitempty"`
	AnsweredAt time.Time `json:"answeredAt,omitzero"`
	Note       string    `json:"note,omitempty"`
	// Moved are the interventions the move ended: their agency does not
	// serve the new village (see agencyReach).
	Moved []string `json:"moved,omitempty"`
}

// TransferInput asks to move the case to another village.
type TransferInput struct {
	ToVillage string `json:"toVillage"`
	Address   string `json:"address"`
	Reason    string `json:"reason"`
}

// Validate checks what the input carries, whatever the case.
func (in TransferInput) Validate(time.Time) error { return in.fields().Err() }

func (in TransferInput) fields() FieldErrors {
	var fe FieldErrors
	if v, ok := region.Lookup(in.ToVillage); !ok || v.Level != region.Village {
		fe.Add("toVillage", "must be a village (desa/kelurahan) code of the registry, like 64.08.01.2001")
	}
	fe.Lines("address", in.Address, MaxAddress)
	fe.Note("reason", in.Reason)
	return fe
}

// TransferAnswerInput is the receiving region's answer to a transfer.
type TransferAnswerInput struct {
	ID       string           `json:"id"`
	Decision TransferDecision `json:"decision"`
	// Reason is required to refuse.
	Reason string `json:"reason,omitempty"`
}

// Validate checks what the input carries, whatever the case.
func (in TransferAnswerInput) Validate(time.Time) error {
	if err := validID("id", in.ID); err != nil {
		return err
	}
	return in.fields().Err()
}

func (in TransferAnswerInput) fields() FieldErrors {
	var fe FieldErrors
	Enum(&fe, "decision", in.Decision, TransferDecisions)
	if in.Decision == TransferRefuse {
		fe.Note("reason", in.Reason)
	} else {
		fe.OptionalNote("reason", in.Reason)
	}
	return fe
}

// TransferCancelInput withdraws a pending transfer.
type TransferCancelInput struct {
	ID     string `json:"id"`
	Reason string `json:"reason,omitempty"`
}

// Validate checks what the input carries, whatever the case.
func (in TransferCancelInput) Validate(time.Time) error {
	if err := validID("id", in.ID); err != nil {
		return err
	}
	var fe FieldErrors
	fe.OptionalNote("reason", in.Reason)
	return fe.Err()
}

// PendingTransfer is the transfer awaiting its answer, if any: at most one
// is pending at a time.
func (c *Case) PendingTransfer() (Transfer, bool) {
	if i := c.pendingTransfer(); i >= 0 {
		return c.Transfers[i], true
	}
	return Transfer{}, false
}

// Transfer returns the transfer with that ID.
func (c *Case) Transfer(id string) (Transfer, bool) {
	for _, t := range c.Transfers {
		if t.ID == id {
			return t, true
		}
	}
	return Transfer{}, false
}

// pendingTransfer is the index of the pending transfer, or -1.
func (c *Case) pendingTransfer() int {
	for i := range c.Transfers {
		if c.Transfers[i].Status == TransferPending {
			return i
		}
	}
	return -1
}

// IncomingTo is the village a pending transfer would move the case to,
// "" when none is pending: a supervisor of that village's region may read
// the case to answer it.
func (c *Case) IncomingTo() string {
	if t, ok := c.PendingTransfer(); ok && c.Status == StatusOpen {
		return t.ToVillage
	}
	return ""
}

// stays refuses the action of a person who would lose the case by the
// pending move: whose region holds the village the household left but not
// the one it moved to (the old kecamatan's caseworker, the old village's
// officer, the old regency's people when the move leaves it). What they
// would record belongs to a place the household no longer lives in, and
// would be left to people who no longer follow it: those actions wait for
// the answer. Everyone who keeps the case acts as before.
func (c *Case) stays(a Actor, action act) error {
	t, ok := c.PendingTransfer()
	if !ok || region.Within(t.ToVillage, a.Region) {
		return nil
	}
	return Errorf(CodeConflict, "%s waits while the household's move to %s is pending", action, t.ToVillage)
}

// CheckTransfer answers whether a may ask to move the case as in says.
func (c *Case) CheckTransfer(a Actor, in TransferInput, _ time.Time) error {
	if err := c.gateTransfer(a); err != nil {
		return err
	}
	// The registry holds one province, so any village it knows is of the
	// case's province.
	fe := in.fields()
	if len(fe) == 0 && in.ToVillage == c.VillageCode {
		fe.Add("toVillage", "is the village the case is in already")
	}
	return fe.Err()
}

// gateTransfer is CheckTransfer without the input (see Allowed).
func (c *Case) gateTransfer(a Actor) error {
	if err := c.mayHere(a, "transfer", ActTransfer.Roles()...); err != nil {
		return err
	}
	if c.Status != StatusOpen {
		return stageErr(c, "transfer")
	}
	if t, ok := c.PendingTransfer(); ok {
		return Errorf(CodeConflict, "transfer %s to %s is pending; it must be answered or cancelled first", t.ID, t.ToVillage)
	}
	if len(c.Transfers) >= MaxTransfers {
		return Errorf(CodeConflict, "the case has been transferred %d times, the most it records", MaxTransfers)
	}
	return c.roomFor("transfer", 1)
}

// RequestTransfer records the request; the receiving region has
// TransferDays to answer.
func (c *Case) RequestTransfer(a Actor, in TransferInput, now time.Time) []Event {
	days := c.Deadlines.TransferDays
	if days <= 0 {
		days = DefaultTransferDays
	}
	d := c.Deadlines.Days(days)
	t := Transfer{ID: fmt.Sprintf("tr-%d", len(c.Transfers)+1), FromVillage: c.VillageCode, ToVillage: in.ToVillage,
		Address: in.Address, Reason: in.Reason, Status: TransferPending, RequestedBy: a.Sub, RequestedAt: now,
		Deadline: now.Add(d), EscalateAt: now.Add(2 * d)}
	c.Transfers = append(c.Transfers, t)
	e := c.event(now, a, EventTransferRequested, "%s: move to %s requested", t.ID, t.ToVillage)
	e.Ref = t.ID
	return c.commit(now, e)
}

// CheckTransferAnswer answers whether a may answer the transfer: a
// supervisor of the region the household moved to.
func (c *Case) CheckTransferAnswer(a Actor, in TransferAnswerInput, _ time.Time) error {
	if err := c.gateTransferAnswer(a); err != nil {
		return err
	}
	if err := c.pendingNamed(in.ID); err != nil {
		return err
	}
	return in.fields().Err()
}

// gateTransferAnswer is CheckTransferAnswer without the input (see
// Allowed). The answer is the receiving region's: its scope is the
// village the household moved to, not the case's.
func (c *Case) gateTransferAnswer(a Actor) error {
	if a.Role != RoleAdmin && !OneOf(a.Role, ActTransferAnswer.Roles()) {
		return Errorf(CodeForbidden, "%s needs role %v", act("answering a transfer"), ActTransferAnswer.Roles())
	}
	if c.Status != StatusOpen {
		return stageErr(c, "answering a transfer")
	}
	t, ok := c.PendingTransfer()
	if !ok {
		return Errorf(CodeConflict, "no transfer of this case is pending")
	}
	if !region.Within(t.ToVillage, a.Region) {
		return Errorf(CodeForbidden, "the household moves to a village outside region %s", a.Region)
	}
	return c.roomFor("answering a transfer", 1+len(c.Interventions))
}

// pendingNamed checks that id names the pending transfer.
func (c *Case) pendingNamed(id string) error {
	if err := validID("id", id); err != nil {
		return err
	}
	for _, t := range c.Transfers {
		if t.ID != id {
			continue
		}
		if t.Status != TransferPending {
			return Errorf(CodeConflict, "transfer %s is already %s", id, t.Status)
		}
		return nil
	}
	return Errorf(CodeNotFound, "no transfer %q in this case", id)
}

// AnswerTransfer records the answer. Accepted, the case moves: its village,
// kecamatan, regency and address become the new ones, its stage, history,
// deadlines and escalations stay, and each intervention still under way
// at an agency that does not serve the new village ends as moved, for a
// supervisor to assign again.
func (c *Case) AnswerTransfer(a Actor, in TransferAnswerInput, now time.Time) []Event {
	i := c.pendingTransfer()
	t := &c.Transfers[i]
	t.AnsweredBy, t.AnsweredAt, t.Note = a.Sub, now, in.Reason
	t.Deadline, t.EscalateAt = time.Time{}, time.Time{}
	if in.Decision == TransferRefuse {
		t.Status = TransferRefused
		e := c.event(now, a, EventTransferRefused, "%s refused: %s", t.ID, in.Reason)
		e.Ref = t.ID
		return c.commit(now, e)
	}
	t.Status = TransferAccepted
	from, to := t.FromVillage, t.ToVillage
	e := c.event(now, a, EventTransferAccepted, "%s accepted: the case moves from %s to %s", t.ID, from, to)
	e.Ref = t.ID
	events := []Event{e}
	for j := range c.Interventions {
		iv := &c.Interventions[j]
		if !iv.Status.underWay() || reaches(iv.Agency, from, to) {
			continue
		}
		iv.Status, iv.UpdatedAt = InterventionMoved, now
		t.Moved = append(t.Moved, iv.ID)
		ev := c.event(now, a, EventInterventionUpdated, "%s (%s) %s", iv.ID, iv.Program, iv.Status)
		ev.Ref = iv.ID
		events = append(events, ev)
	}
	c.VillageCode, c.Address = to, t.Address
	c.DistrictCode = region.Ancestor(to, region.District)
	c.RegencyCode = region.Ancestor(to, region.Regency)
	return c.commit(now, events...)
}

// CheckTransferCancel answers whether a may withdraw the transfer: a
// supervisor of the case's region, who asked for it.
func (c *Case) CheckTransferCancel(a Actor, in TransferCancelInput, _ time.Time) error {
	if err := c.gateTransferCancel(a); err != nil {
		return err
	}
	if err := c.pendingNamed(in.ID); err != nil {
		return err
	}
	return in.Validate(time.Time{})
}

// gateTransferCancel is CheckTransferCancel without the input (see
// Allowed). The sender may cancel even when the move would take the case
// from them.
func (c *Case) gateTransferCancel(a Actor) error {
	if err := c.mayHere(a, "cancelling a transfer", ActTransferCancel.Roles()...); err != nil {
		return err
	}
	if c.Status != StatusOpen {
		return stageErr(c, "cancelling a transfer")
	}
	if _, ok := c.PendingTransfer(); !ok {
		return Errorf(CodeConflict, "no transfer of this case is pending")
	}
	return c.roomFor("cancelling a transfer", 1)
}

// CancelTransfer withdraws the pending transfer.
func (c *Case) CancelTransfer(a Actor, in TransferCancelInput, now time.Time) []Event {
	t := &c.Transfers[c.pendingTransfer()]
	t.Status, t.AnsweredBy, t.AnsweredAt, t.Note = TransferCancelled, a.Sub, now, in.Reason
	t.Deadline, t.EscalateAt = time.Time{}, time.Time{}
	e := c.event(now, a, EventTransferCancelled, "%s cancelled", t.ID)
	e.Ref = t.ID
	return c.commit(now, e)
}

// endTransfer withdraws a transfer still pending when the case closes: a
// closed case moves nowhere.
func (c *Case) endTransfer(by Actor, now time.Time) {
	if i := c.pendingTransfer(); i >= 0 {
		t := &c.Transfers[i]
		t.Status, t.AnsweredBy, t.AnsweredAt = TransferCancelled, by.Sub, now
		t.Deadline, t.EscalateAt = time.Time{}, time.Time{}
	}
}

// agencyReach is how far the unit holding an intervention serves, for the
// agencies whose unit does not serve the whole province: a village's own
// government (pemdes; BLT Dana Desa is paid from that village's fund) only
// its village, and a company's CSR unit only the regency it was assigned
// in (where the company works). Dinsos, Disnakertrans and Disperkim are
// offices every regency and city has, and BAZNAS has a unit in each: after
// a move the new regency's office of the same agency holds the
// intervention (its people read and act on cases of their regency).
var agencyReach = map[string]region.Level{
	AgencyPemdes: region.Village,
	AgencyCSR:    region.Regency,
}

// reaches reports whether the agency's unit that holds an intervention in
// village from also serves village to.
func reaches(agency, from, to string) bool {
	level, ok := agencyReach[agency]
	return !ok || region.Ancestor(from, level) == region.Ancestor(to, level)
}

// underWay reports whether an intervention is still at its agency: assigned
// or acknowledged, not yet delivered, declined or ended by a move.
func (s InterventionStatus) underWay() bool {
	return s == InterventionAssigned || s == InterventionAcknowledged
}

// tickTransfer applies the deadline rules to the pending transfer: a
// reminder once its deadline has passed, and at twice the deadline an
// automatic escalation, to the regency when the household moved within it
// and to the province when it moved to another regency (only the province
// stands above both).
func (c *Case) tickTransfer(now time.Time, quiet bool, record func(typ, ref, format string, args ...any)) {
	i := c.pendingTransfer()
	if i < 0 {
		return
	}
	t := &c.Transfers[i]
	if !t.Deadline.IsZero() && !now.Before(t.Deadline) && !t.Reminded {
		t.Reminded = true
		record(EventReminder, t.ID, "%s: the answer to the move to %s was due %s", t.ID, t.ToVillage, day(c.Local(t.Deadline)))
	}
	if t.EscalateAt.IsZero() || now.Before(t.EscalateAt) {
		return
	}
	t.EscalateAt = time.Time{}
	level := EscalateRegency
	if region.Ancestor(t.ToVillage, region.Regency) != c.RegencyCode {
		level = EscalateProvince
	}
	if quiet || c.openEscalation(level) || len(c.Escalations) >= MaxEscalations {
		return
	}
	id := fmt.Sprintf("auto-transfer-%d", c.Seq+1)
	reason := Msgf("%s is twice past its deadline for an answer", t.ID)
	c.Escalations = append(c.Escalations, Escalation{ID: id, Level: level,
		Reason: reason.Text, ReasonKey: reason.Key, ReasonArgs: reason.Args, By: System.Sub, At: now, Open: true})
	c.Escalated = true
	record(EventEscalated, id, "%s to %s: a transfer unanswered twice over its deadline", id, level)
}

// transferWake is the next moment the pending transfer's deadline rules
// may fire, or zero.
func (c *Case) transferWake() (remind, escalate time.Time) {
	t, ok := c.PendingTransfer()
	if !ok {
		return time.Time{}, time.Time{}
	}
	if !t.Reminded {
		remind = t.Deadline
	}
	return remind, t.EscalateAt
}

// transferPendingActions names what the case's transfer waits for: the
// receiving supervisor's answer, and for each intervention the move ended
// a new assignment of its program.
func (c *Case) transferPendingActions() []string {
	if c.Status != StatusOpen {
		return nil
	}
	var out []string
	if t, ok := c.PendingTransfer(); ok {
		out = append(out, "supervisor of "+t.ToVillage+": answer transfer "+t.ID)
	}
	for _, iv := range c.Interventions {
		if iv.Status == InterventionMoved && !c.programLive(iv.Program) {
			out = append(out, "supervisor: assign "+string(iv.Program)+" again ("+iv.ID+" ended by the move)")
		}
	}
	return out
}

// programLive reports whether the program has an intervention still under
// way or delivered.
func (c *Case) programLive(p Program) bool {
	for _, iv := range c.Interventions {
		if iv.Program == p && (iv.Status.underWay() || iv.Status == InterventionDelivered) {
			return true
		}
	}
	return false
}
