-- Argo CD health of a Fluid Dataset (data.fluid.io/v1alpha1), from status.phase as upstream's
-- dataset controller sets it (pkg/controllers/v1alpha1/dataset): "" -> NotBound -> Bound.
local hs = {status = "Progressing", message = "Waiting for the runtime to bind the dataset"}
local function last_message(status)
  if status.conditions ~= nil and #status.conditions > 0 then
    local message = status.conditions[#status.conditions].message
    if message ~= nil and message ~= "" then return message end
  end
  return nil
end
if obj.status == nil or obj.status.phase == nil or obj.status.phase == "" then
  return hs
end
local phase = obj.status.phase
if phase == "Bound" then
  hs.status = "Healthy"
  hs.message = "Bound to its runtime"
elseif phase == "Failed" then
  hs.status = "Degraded"
  hs.message = last_message(obj.status) or "Dataset failed"
elseif phase == "NotBound" or phase == "Pending" then
  hs.message = "Dataset is " .. phase .. ": waiting for its runtime to be ready"
elseif phase == "Updating" or phase == "DataMigrating" then
  hs.message = "Dataset is " .. phase
else
  hs.status = "Unknown"
  hs.message = "Unknown dataset phase " .. phase
end
return hs
