// Package remediate plans and performs the live fix of SageMaker notebook
// instances that have direct internet access or are outside a VPC, and of
// Studio domains that are not VpcOnly.
//
// A notebook's DirectInternetAccess, SubnetId and SecurityGroupIds cannot be
// changed in place (UpdateNotebookInstance has no such fields), so the fix is
// a new notebook: either the same name (recreate: stop, wait Stopped, delete,
// wait Deleted, create, wait InService) or a new one beside it (blue-green:
// create <name>-private, wait InService, stop the old one and leave it for the
// data transfer). Every other setting is carried over from the description.
//
// Contract:
//   - Planning only reads (Describe, ListTags, DescribeNotebookInstanceLifecycleConfig,
//     EC2 DescribeSubnets, ListApps). Nothing changes without Runner.Apply.
//   - Apply refuses a plan that has a refusal or anything it could not read
//     (tags, the lifecycle configuration), because the recreate would lose it.
//   - Apply writes the recreate record (full description, tags, lifecycle
//     scripts, target, steps) atomically BEFORE the first change and rewrites
//     it after each step; Resume finishes from the record. Every step checks
//     the notebook's current state first, so a step repeated after a crash is
//     a no-op, and state preconditions (Stop needs InService, Delete needs
//     Stopped or Failed) are respected rather than hoped for.
//   - Domains are updated in place (UpdateDomain to VpcOnly) only when no app
//     is InService, Pending or Deleting; otherwise the plan is a refusal that
//     lists the apps.
package remediate
