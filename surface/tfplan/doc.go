// Package tfplan reads the JSON that `terraform show -json` prints, for a
// saved plan (`terraform show -json tfplan`) or for a state (`terraform show
// -json` after apply), and fills one model.Set per file with Surface
// "terraform-plan", so that every control works on it unchanged.
//
// # What is read
//
// Plans: `resource_changes` (the planned value of every resource instance,
// with `after_unknown`, `after_sensitive` and `replace_paths`) and
// `configuration` (which attributes the configuration writes, and what they
// reference). `planned_values`, `prior_state`, `resource_drift` and the rest
// are validated and skipped without being decoded. States:
// `values.root_module` and its `child_modules`. The file is streamed with
// encoding/json's Decoder: resource instances are decoded one at a time and
// only those of the types the model knows are kept, so the model grows with
// the SageMaker and network resources, not with the plan. The one large
// transient buffer is the section being skipped (the decoder holds that
// section's bytes once while validating it); the file is never held whole,
// and nothing is held twice. BenchmarkLoadLargePlan measures throughput.
//
// # Mapping
//
//   - Addresses are exactly the plan's, with module path and instance keys
//     (`module.ml["a"].aws_sagemaker_notebook_instance.this[0]`).
//   - Deleted instances (actions ["delete"]), forgotten ones (["forget"]) and
//     data sources are not in the Set. Creates, updates, no-ops and reads are.
//   - A replacement (["delete","create"] or ["create","delete"]) of a notebook
//     sets NotebookInstance.Replaced and adds a note that the ML storage
//     volume will be lost, naming the attributes that force it
//     (`replace_paths`) when the plan gives them.
//   - Resolution: a value Terraform will only know after apply
//     (`after_unknown`) is Unknown with the reason "known after apply" —
//     except an identifier whose configuration expression references a
//     resource of the plan (`subnet_id = aws_subnet.private[0].id`): that is
//     Explicit with Str.Ref set to the referenced instance's address, so
//     network look-ups work. A value present in the plan is Explicit when the
//     configuration writes the attribute, Default when it does not (Terraform
//     fills provider defaults such as direct_internet_access = "Enabled" into
//     the plan; the configuration tells us they were not written). A state
//     has no configuration: a non-empty value there is Explicit (it is what
//     is deployed), an empty or null one Default.
//   - Known identifiers (resources already in the prior state, and every
//     resource of a state file) are linked by value: a subnet_id
//     "subnet-0abc" gets the Ref of the instance whose id is "subnet-0abc".
//   - Values carry a model.StepPlan provenance step: the instance address in
//     the plan file, plus the references the configuration wrote (var.access).
//
// # Limits
//
//   - Locations: a plan has no line numbers. Meta.Range.File is the plan
//     file as reached from the scanned argument and StartLine is 0; findings
//     name the address, which is unambiguous in a plan.
//   - Suppressions cannot come from a plan: the JSON carries no comments.
//     Suppress in the configuration file or in the Terraform source instead.
//   - Reference resolution follows what the plan's configuration records:
//     resource references (with or without an instance key), `var.x` into
//     the calling module's argument, and `module.x.output` into the module's
//     output expression. Locals are not recorded in the plan JSON, so an
//     unknown identifier reached only through a local keeps Ref set to the
//     local's name (the value is set, but not linked to a resource). A
//     reference without an instance key to a resource with count/for_each is
//     linked to the instance with the same key as the referencing instance
//     when the expression also uses count.index or each.key/each.value, to
//     every instance in a list attribute, and is otherwise left unresolved.
//     The same rule applies to module calls with count/for_each.
//   - An attribute written as an expression that evaluates to null
//     (`lookup(each.value, "access", null)`) gets the provider default in the
//     plan, and the configuration only records that it was written: such a
//     value reads Explicit "Enabled" where the source surface says Default
//     (the verdict is the same). An unknown computed attribute whose
//     expression depends only on constants (module arguments without
//     references, root variables) must have been null, and reads as omitted.
//   - Inline route targets in `aws_route_table.route` are linked by type: the
//     configuration records one reference list for all route blocks, so an
//     unknown nat_gateway_id is linked to the NAT gateway it references when
//     the routes reference exactly one.
package tfplan
