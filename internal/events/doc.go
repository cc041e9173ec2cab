// Package events carries "something changed" hints between evalroomd
// nodes and on to the browsers' live panels.
//
// An Event names what happened (Action, as in the audit log: "area.verb")
// and to what (Object, "kind:id"). It carries no personal data and no
// state: a panel that receives one re-reads what it shows through the
// REST API, with the user's own rights. Events travel over one Redis
// pub/sub channel so that every node sees every node's events; a Bus
// fans them out to local subscribers without ever blocking the publisher
// (a slow subscriber loses events and is told so, and re-reads everything).
package events
