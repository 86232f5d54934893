-- Argo CD health of a Fluid DataLoad or DataBackup, from status.phase as upstream's operation
-- controllers set it (pkg/controllers/v1alpha1/dataload, databackup):
-- "" -> Pending -> Executing -> Complete | Failed.
local hs = {status = "Progressing", message = "Waiting to start"}
if obj.status == nil or obj.status.phase == nil or obj.status.phase == "" then
  return hs
end
local phase = obj.status.phase
local message = nil
if obj.status.conditions ~= nil and #obj.status.conditions > 0 then
  message = obj.status.conditions[#obj.status.conditions].message
end
if phase == "Complete" then
  hs.status = "Healthy"
  hs.message = message or (obj.kind .. " complete")
elseif phase == "Failed" then
  hs.status = "Degraded"
  hs.message = message or (obj.kind .. " failed")
elseif phase == "Pending" or phase == "Executing" then
  hs.message = obj.kind .. " is " .. phase
else
  hs.status = "Unknown"
  hs.message = "Unknown phase " .. phase
end
return hs
