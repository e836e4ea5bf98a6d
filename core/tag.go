package core

import "context"

// Tag is a label from one global namespace, attached to projects, experiments
// and iterations.
type Tag struct {
	ID    string
	Value string
}

// Kind names an entity type that tags attach to.
type Kind string

// Taggable kinds.
const (
	KindProject    Kind = "project"
	KindExperiment Kind = "experiment"
	KindIteration  Kind = "iteration"
)

// Valid reports whether k is a taggable kind.
func (k Kind) Valid() bool {
	return k == KindProject || k == KindExperiment || k == KindIteration
}

// TagService manages tags and their attachments.
type TagService interface {
	// GetTag returns a tag or ENotFound.
	GetTag(ctx context.Context, id string) (*Tag, error)
	// GetTagByValue returns the tag with this value or ENotFound.
	GetTagByValue(ctx context.Context, value string) (*Tag, error)
	// CreateTag stores a tag and returns its id. EConflict if it exists,
	// EInvalid if empty.
	CreateTag(ctx context.Context, value string) (string, error)
	// DeleteTag deletes a tag that nothing is attached to. ENotFound if
	// missing, EConflict while it is attached (DetachTag first).
	DeleteTag(ctx context.Context, id string) error
	// ListTags returns the tags attached to an entity in attach order.
	ListTags(ctx context.Context, kind Kind, id string) ([]*Tag, error)
	// AttachTag attaches a tag (created if new) to an entity and returns the
	// attachment's id. EInvalid for an unknown entity, an ended iteration or an
	// empty value; EConflict if already attached.
	AttachTag(ctx context.Context, kind Kind, id, value string) (string, error)
	// DetachTag removes a tag from an entity. ENotFound if it is not attached;
	// EInvalid for an ended iteration.
	DetachTag(ctx context.Context, kind Kind, id, value string) error
}
