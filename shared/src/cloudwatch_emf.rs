//! CloudWatch embedded metric format (EMF): the AWS functions' metrics recorder.
